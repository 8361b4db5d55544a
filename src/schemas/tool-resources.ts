// The `tool_resources` that assistants and threads take: upstream file and vector store ids, within the upstream's limits.
import * as z from "zod";
import { metadata } from "./common";
import { fileId, vectorStoreId } from "./ids";

const codeInterpreter = z.strictObject({
  file_ids: z.array(fileId).max(20, { error: "code_interpreter takes at most 20 files" }).optional(),
});

const vectorStoreIds = z.array(vectorStoreId).max(1, { error: "file_search takes at most 1 vector store" });

const chunkingStrategy = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("auto") }),
  z.strictObject({
    type: z.literal("static"),
    static: z
      .strictObject({
        max_chunk_size_tokens: z.number().int().min(100).max(4096),
        chunk_overlap_tokens: z.number().int().min(0),
      })
      // The upstream's rule, stated only in prose: the overlap is at most half a chunk.
      .refine((chunks) => chunks.chunk_overlap_tokens <= chunks.max_chunk_size_tokens / 2, {
        error: "chunk_overlap_tokens is at most half of max_chunk_size_tokens",
        path: ["chunk_overlap_tokens"],
      }),
  }),
]);

/** A vector store the upstream creates with the assistant or thread (creation only). */
const newVectorStore = z.strictObject({
  // The upstream's older stores hold at most 10,000 files; newer ones more, but no request body of ours carries that many.
  file_ids: z.array(fileId).max(10_000, { error: "a vector store takes at most 10000 files here" }).optional(),
  chunking_strategy: chunkingStrategy.optional(),
  metadata: metadata.nullish(),
});

/**
 * Foundry's resources for its own tools (an MCP server's approval mode and headers, an Azure AI Search index), passed
 * through untouched like the tools themselves.
 */
const azureToolResources = {
  mcp: z
    .array(z.looseObject({ server_label: z.string().min(1).max(256) }))
    .max(128)
    .optional(),
  azure_ai_search: z.looseObject({}).optional(),
};

/** On creation, file_search names a vector store or has one made, never both (the upstream's `oneOf`). */
export const newToolResources = z.strictObject({
  code_interpreter: codeInterpreter.optional(),
  file_search: z
    .strictObject({
      vector_store_ids: vectorStoreIds.optional(),
      vector_stores: z.array(newVectorStore).max(1, { error: "file_search makes at most 1 vector store" }).optional(),
    })
    .refine((search) => (search.vector_store_ids === undefined) !== (search.vector_stores === undefined), {
      error: "give either vector_store_ids or vector_stores, not both or neither",
    })
    .optional(),
  ...azureToolResources,
});

/** On modification, only existing ids can be named. */
export const toolResourcesChange = z.strictObject({
  code_interpreter: codeInterpreter.optional(),
  file_search: z.strictObject({ vector_store_ids: vectorStoreIds.optional() }).optional(),
  ...azureToolResources,
});

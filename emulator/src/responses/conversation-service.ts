// Every operation on a conversation and its items, as the upstream performs it; the routes only parse and answer.
import { ApiError } from "../api-error";
import type { ListResponse, PageParams } from "../pagination";
import { conversationIdIn } from "./homes";
import {
  newConversation,
  storedItem,
  type ConversationObject,
  type InputItemParam,
  type Item,
  type Metadata,
} from "./response-objects";
import type { ResponseStore } from "./response-store";

export const conversationNotFound = (id: string, param: string | null = null) =>
  new ApiError(404, `Conversation with id '${id}' not found.`, { param });

export class ConversationService {
  constructor(private readonly store: ResponseStore) {}

  create(home: string, body: { metadata?: Metadata | null; items?: InputItemParam[] | null }): ConversationObject {
    this.store.create();
    const conversation = newConversation(conversationIdIn(home), Date.now(), body.metadata);
    this.store.putConversation(conversation);
    this.store.append(conversation.id, this.resolve(body.items ?? [], "items"));
    return conversation;
  }

  conversation(id: string, param: string | null = null): ConversationObject {
    const conversation = this.store.conversation(id);
    if (!conversation) throw conversationNotFound(id, param);
    return conversation;
  }

  update(id: string, metadata: Metadata | null): ConversationObject {
    const updated = { ...this.conversation(id), metadata: metadata ?? {} };
    this.store.putConversation(updated);
    return updated;
  }

  delete(id: string) {
    this.conversation(id);
    this.store.deleteConversation(id);
    return { id, object: "conversation.deleted" as const, deleted: true };
  }

  /** Appends items and answers them as a list page (all of them, in order). */
  addItems(id: string, params: InputItemParam[]): ListResponse<Item> {
    this.conversation(id);
    const items = this.resolve(params, "items");
    this.store.append(id, items);
    return {
      object: "list",
      data: items,
      first_id: items[0]?.id ?? null,
      last_id: items.at(-1)?.id ?? null,
      has_more: false,
    };
  }

  items(id: string, page: PageParams): ListResponse<Item> {
    this.conversation(id);
    return this.store.page(id, page);
  }

  item(id: string, itemId: string): Item {
    this.conversation(id);
    const item = this.store.isListed(id, itemId) ? this.store.item(itemId) : undefined;
    if (!item) throw new ApiError(404, `Item with id '${itemId}' not found.`);
    return item;
  }

  /** Deleting an item answers the conversation it was taken from, not a deletion status. */
  deleteItem(id: string, itemId: string): ConversationObject {
    this.item(id, itemId);
    this.store.unlist(id, itemId);
    return this.conversation(id);
  }

  /** Input items as stored: new ones get ids, an `item_reference` names an item already stored in this home. */
  resolve(params: InputItemParam[], param: string): Item[] {
    return params.map((item, index) => {
      if (item.type !== "item_reference") return storedItem(item);
      const stored = item.id ? this.store.item(item.id) : undefined;
      if (!stored) throw new ApiError(404, `Item with id '${item.id}' not found.`, { param: `${param}[${index}].id` });
      return stored;
    });
  }
}

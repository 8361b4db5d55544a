// The demo is checked with the DOM and, because the client's types reach the gateway's router, with the
// Workers types too. The two disagree on one stream call in the gateway's source (piping bytes through a
// TextDecoderStream); this overload lets that call check under both. It changes no runtime code.
interface ReadableStream<R = any> {
  pipeThrough(transform: TextDecoderStream, options?: StreamPipeOptions): ReadableStream<string>;
}

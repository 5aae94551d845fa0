// snappyjs ships no types; only the two functions we use.
declare module 'snappyjs' {
  const snappyjs: {
    compress(input: Buffer): Buffer;
    uncompress(input: Buffer, maxLength?: number): Buffer;
  };
  export default snappyjs;
}

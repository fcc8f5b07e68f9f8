// cluster-key-slot (ioredis' own slot function, a dependency of ioredis) ships no type declarations.
declare module 'cluster-key-slot' {
  /** Redis Cluster's hash slot of a key: CRC16 of its hash tag (or the whole key), modulo 16384. */
  function generate(key: string | Buffer): number;
  export default generate;
}

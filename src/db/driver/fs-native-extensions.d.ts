// The part of fs-native-extensions (no types of its own) that data-dir-lock.ts uses.
declare module 'fs-native-extensions' {
  const fsx: {
    /** An exclusive (or shared) lock on the whole file; false when another holder has it. */
    tryLock(fd: number, options?: { shared?: boolean }): boolean;
  };
  export default fsx;
}

// Types of wait.mjs.
export declare class WaitAborted extends Error {}
export declare function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs?: number, everyMs?: number): Promise<T>;

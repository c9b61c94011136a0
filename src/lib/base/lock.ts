/** Runs `work` while holding the lock `name`; other holders of the same name wait their turn. */
export type Lock = <T>(name: string, work: () => Promise<T>) => Promise<T>;

const queues = new Map<string, Promise<unknown>>();

/** A lock that serializes callers within this JavaScript realm only. */
export const inProcessLock: Lock = (name, work) => {
  const previous = queues.get(name) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.catch(() => undefined);
  queues.set(name, tail);
  void tail.then(() => {
    if (queues.get(name) === tail) queues.delete(name);
  });
  return run;
};

/** Web Locks serialize across every tab and worker of the origin; fall back where they are missing. */
export const defaultLock: Lock = (name, work) =>
  typeof navigator !== 'undefined' && navigator.locks ? navigator.locks.request(name, work) : inProcessLock(name, work);

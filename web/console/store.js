// The page's one state: what the engine last said, the session, the
// attribute declarations. Components re-render when it changes.
import { useEffect, useState } from 'preact/hooks';

export const store = {
  session: undefined, // undefined: not known yet; null: logged out
  status: null,
  declarations: null,
  engineError: null,
  liveEvents: [],
  liveAt: 0,
};

const subscribers = new Set();

export function set(patch) {
  Object.assign(store, patch);
  for (const fn of subscribers) fn();
}

export function useStore() {
  const [, force] = useState(0);
  useEffect(() => {
    const fn = () => force((x) => x + 1);
    subscribers.add(fn);
    return () => subscribers.delete(fn);
  }, []);
  return store;
}

export const isAdmin = () => store.session?.role === 'Administrator';

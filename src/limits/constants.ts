// Every limit that protects the engine from input it has not authenticated
// yet, in one table (SECURITY.md and the README list the same values; a test
// checks that they do). Changing one is a code change, on purpose: these are
// safety bounds, not tuning knobs. The two login settings an operator may
// want to change are cluster attributes (LoginLockoutCount, LoginLockoutTime).

export interface Limit {
  name: string;
  value: number;
  unit: string;
  what: string;
}

function limit(name: string, value: number, unit: string, what: string): Limit {
  return { name, value, unit, what };
}

export const LIMITS = {
  // ---- API listeners (local socket and TLS remote API on HBPort+3)
  API_MAX_CONNECTIONS: limit('API_MAX_CONNECTIONS', 64, 'connections', 'open connections per API listener; when full, the oldest connection without a complete request is closed to make room (the newcomer is refused only when every one is being served)'),
  API_MAX_CONNECTIONS_PER_SOURCE: limit('API_MAX_CONNECTIONS_PER_SOURCE', 8, 'connections', 'open connections per source address on the TLS API; more are refused at once'),
  API_MAX_HEADER_BYTES: limit('API_MAX_HEADER_BYTES', 8192, 'bytes', 'request line and headers; larger is answered 431 and closed'),
  API_MAX_BODY_BYTES: limit('API_MAX_BODY_BYTES', 262144, 'bytes', 'request body; larger is answered 413 and closed before it is read'),
  API_HEADERS_TIMEOUT_MS: limit('API_HEADERS_TIMEOUT_MS', 10000, 'ms', 'time to send the request headers; slower is answered 408 and closed'),
  API_REQUEST_TIMEOUT_MS: limit('API_REQUEST_TIMEOUT_MS', 15000, 'ms', 'time to send the whole request (headers and body); slower is answered 408 and closed'),
  API_TLS_HANDSHAKE_TIMEOUT_MS: limit('API_TLS_HANDSHAKE_TIMEOUT_MS', 10000, 'ms', 'time to finish the TLS handshake'),
  API_IDLE_TIMEOUT_MS: limit('API_IDLE_TIMEOUT_MS', 1000, 'ms', 'an idle kept-alive connection is closed after this'),
  // ---- Logins (password and join token)
  LOGIN_FREE_FAILURES: limit('LOGIN_FREE_FAILURES', 3, 'failures', 'failed logins in a row (per user and per source) after which the next attempt has to wait'),
  LOGIN_DELAY_BASE_MS: limit('LOGIN_DELAY_BASE_MS', 500, 'ms', 'the first such wait; doubled with every further failure'),
  LOGIN_DELAY_MAX_MS: limit('LOGIN_DELAY_MAX_MS', 30000, 'ms', 'longest progressive delay'),
  LOGIN_MAX_CONCURRENT_CHECKS: limit('LOGIN_MAX_CONCURRENT_CHECKS', 2, 'checks', 'password hashes verified at once (scrypt costs 16 MB and ~50 ms each); others wait'),
  LOGIN_MAX_TRACKED: limit('LOGIN_MAX_TRACKED', 10000, 'entries', 'users and sources remembered by the throttle (oldest forgotten first)'),
  LOGIN_OK_QUIET_MS: limit('LOGIN_OK_QUIET_MS', 600000, 'ms', 'LOGIN_OK is recorded once per user and source in this time (every login is counted)'),
  // ---- Peer channel (TCP HBPort+2)
  PEER_MAX_CONNECTIONS: limit('PEER_MAX_CONNECTIONS', 64, 'connections', 'open connections per peer-channel listener; when full, the oldest connection that has not sent an authentic frame is closed to make room'),
  PEER_MAX_CONNECTIONS_PER_SOURCE: limit('PEER_MAX_CONNECTIONS_PER_SOURCE', 16, 'connections', 'open connections per source address on the peer channel; more are refused at once'),
  PEER_MAX_UNAUTH_FRAME_BYTES: limit('PEER_MAX_UNAUTH_FRAME_BYTES', 65536, 'bytes', 'first frame of a connection, read before anything is authenticated'),
  PEER_MAX_FRAME_BYTES: limit('PEER_MAX_FRAME_BYTES', 16777216, 'bytes', 'a frame announced by an authenticated frame before it (a large configuration)'),
  PEER_FIRST_FRAME_TIMEOUT_MS: limit('PEER_FIRST_FRAME_TIMEOUT_MS', 10000, 'ms', 'time to send the first (authenticating) frame'),
  PEER_IDLE_TIMEOUT_MS: limit('PEER_IDLE_TIMEOUT_MS', 60000, 'ms', 'an authenticated connection silent this long is closed'),
  // ---- Event log
  REJECTION_EVENTS_PER_MINUTE: limit('REJECTION_EVENTS_PER_MINUTE', 20, 'events', 'rejection events of one kind (MESSAGE_REJECTED per channel, LOGIN_FAILED, ...) per minute, cluster-wide on this node; the rest are counted in one summary event per minute'),
  // ---- Configuration files
  CONFIG_FILE_MAX_BYTES: limit('CONFIG_FILE_MAX_BYTES', 8388608, 'bytes', 'main.json and users.json; larger files are refused unread'),
  ATTRIBUTE_STRING_MAX: limit('ATTRIBUTE_STRING_MAX', 4096, 'characters', 'default length limit of a string attribute (a declaration may set its own)'),
  ATTRIBUTE_ARRAY_MAX: limit('ATTRIBUTE_ARRAY_MAX', 256, 'items', 'default item limit of an array attribute (a declaration may set its own)'),
} as const;

export type LimitName = keyof typeof LIMITS;

export const limitValue = (name: LimitName): number => LIMITS[name].value;

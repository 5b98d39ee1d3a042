// Every timing decision of the cluster layer runs on a monotonic clock in
// milliseconds (never the wall clock, which NTP may step). Tests inject their own.

export type Clock = () => number;

export const monotonic: Clock = () => performance.now();

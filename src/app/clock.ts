/** The shell's only source of time; the core takes the time as a parameter. */
export interface Clock { now(): Date }

export const systemClock: Clock = { now: () => new Date() };

// Queues built from kvtier's engine and device model, to check them against queueing theory.
// Customers arrive as a Poisson process through the event queue. Each one is a command submitted to
// a DeviceQueue at its arrival event, and its wait is completion - arrival - service. One channel
// whose service is the pipe transfer gives M/M/1 (exponential command sizes) and M/D/1 (one size);
// c channels whose service is the per-command latency give M/M/c.

import seedrandom from 'seedrandom';
import { DeviceQueue, Operation, type DeviceSpec } from '../devices/device.js';
import { EventQueue } from './event-queue.js';

export type QueueModel = 'M/M/1' | 'M/D/1' | 'M/M/c';

export interface QueueExperiment {
  model: QueueModel;
  /** Servers (channels); 1 for M/M/1 and M/D/1. */
  servers: number;
  /** Utilisation rho = arrival rate x mean service / servers. */
  utilisation: number;
  customers: number;
  seed: string;
}

const MEAN_SERVICE_NS = 1_000_000;

/** Returns the closed-form mean wait in queue, in ns, for a mean service time of 1 ms. */
export function closedFormMeanWaitNs(experiment: QueueExperiment): number {
  const rho = experiment.utilisation;
  if (experiment.model === 'M/M/1') return (rho * MEAN_SERVICE_NS) / (1 - rho);
  if (experiment.model === 'M/D/1') return (rho * MEAN_SERVICE_NS) / (2 * (1 - rho));
  // Erlang C: P(wait) = (a^c / c!) / ((1 - rho) sum_{k<c} a^k / k! + a^c / c!) with offered load
  // a = c rho, and the mean wait is P(wait) S / (c (1 - rho)).
  const servers = experiment.servers;
  const offered = servers * rho;
  let term = 1;
  let partialSum = 0;
  for (let k = 0; k < servers; k++) {
    partialSum += term;
    term *= offered / (k + 1);
  }
  const waitProbability = term / ((1 - rho) * partialSum + term);
  return (waitProbability * MEAN_SERVICE_NS) / (servers * (1 - rho));
}

/** Simulates the queue and returns the measured mean wait in queue, in ns. */
export function simulateMeanWaitNs(experiment: QueueExperiment): number {
  const random = seedrandom(experiment.seed);
  const latencyService = experiment.model === 'M/M/c';
  const spec: DeviceSpec = {
    name: `queue-${experiment.model}`,
    description: 'queueing check',
    source: 'closed-form check',
    channels: experiment.servers,
    // Pipe service: 1 byte per ns. Latency service: a pipe too fast to matter.
    read: { latencyNs: 0, bytesPerSec: latencyService ? Infinity : 1e9, commandsPerSec: Infinity },
    write: { latencyNs: 0, bytesPerSec: 1e9, commandsPerSec: Infinity },
  };
  const device = new DeviceQueue(spec);

  const events = new EventQueue();
  const meanInterarrivalNs = MEAN_SERVICE_NS / (experiment.servers * experiment.utilisation);
  const services = new Float64Array(experiment.customers);
  let arrivalAt = 0;
  for (let customer = 0; customer < experiment.customers; customer++) {
    arrivalAt += -Math.log(1 - random()) * meanInterarrivalNs;
    services[customer] = experiment.model === 'M/D/1' ? MEAN_SERVICE_NS : -Math.log(1 - random()) * MEAN_SERVICE_NS;
    events.push(arrivalAt, 0, customer);
  }

  let totalWaitNs = 0;
  while (events.pop()) {
    const customer = events.poppedArg;
    const service = services[customer];
    const doneAt = latencyService
      ? device.submit(Operation.Read, events.poppedTime, 0, service)
      : device.submit(Operation.Read, events.poppedTime, service);
    // Completions are rounded up to whole ns; the exact service time is subtracted.
    totalWaitNs += doneAt - events.poppedTime - service;
  }
  return totalWaitNs / experiment.customers;
}

/** The three experiments that `kvtier validate` and the tests run. */
export const QUEUE_EXPERIMENTS: readonly QueueExperiment[] = [
  { model: 'M/M/1', servers: 1, utilisation: 0.5, customers: 1_000_000, seed: 'mm1' },
  { model: 'M/D/1', servers: 1, utilisation: 0.5, customers: 1_000_000, seed: 'md1' },
  { model: 'M/M/c', servers: 4, utilisation: 0.5, customers: 1_000_000, seed: 'mmc' },
];

// Queueing closed forms against kvtier's engine and device model. Customers arrive as a Poisson
// process through the event queue; each is one command submitted to a DeviceQueue at its arrival
// event, and its wait is its completion minus arrival minus its service time. Over 1,000,000
// customers at utilisation 0.5 the sample mean's relative standard error is well under 1%, so the
// 2% tolerance leaves room for it while still catching a wrong queue discipline.

import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { DeviceQueue, Operation, type DeviceSpec } from '../../devices/device.js';
import { EventQueue } from '../../sim/event-queue.js';

const CUSTOMERS = 1_000_000;
const MEAN_SERVICE_NS = 1_000_000;

// One channel, no per-command latency: a command's service is its bytes over the pipe, 1 byte per ns.
const singleServer: DeviceSpec = {
  name: 'test-server',
  description: 'one server',
  source: 'test',
  channels: 1,
  read: { latencyNs: 0, bytesPerSec: 1e9, commandsPerSec: Infinity },
  write: { latencyNs: 0, bytesPerSec: 1e9, commandsPerSec: Infinity },
};

/** Runs CUSTOMERS arrivals at `utilisation` through the device; returns the mean wait in ns. */
function meanWait(utilisation: number, serviceNs: (random: () => number) => number, seed: string): number {
  const random = seedrandom(seed);
  const device = new DeviceQueue(singleServer);
  const events = new EventQueue();
  const meanInterarrivalNs = MEAN_SERVICE_NS / utilisation;
  const services = new Float64Array(CUSTOMERS);
  let arrivalAt = 0;
  for (let customer = 0; customer < CUSTOMERS; customer++) {
    arrivalAt += -Math.log(1 - random()) * meanInterarrivalNs;
    services[customer] = serviceNs(random);
    events.push(arrivalAt, 0, customer);
  }
  let totalWaitNs = 0;
  while (events.pop()) {
    const customer = events.poppedArg;
    const doneAt = device.submit(Operation.Read, events.poppedTime, services[customer]);
    // Completions are rounded up to whole ns; subtract the exact service time.
    totalWaitNs += doneAt - events.poppedTime - services[customer];
  }
  return totalWaitNs / CUSTOMERS;
}

describe('device queue against closed forms', () => {
  it('M/M/1 mean wait is rho S / (1 - rho)', () => {
    const rho = 0.5;
    const measured = meanWait(rho, (random) => -Math.log(1 - random()) * MEAN_SERVICE_NS, 'mm1');
    const expected = (rho * MEAN_SERVICE_NS) / (1 - rho);
    expect(Math.abs(measured - expected) / expected).toBeLessThan(0.02);
  });

  it('M/M/c mean wait follows Erlang C', () => {
    const servers = 4;
    const rho = 0.5;
    const random = seedrandom('mmc');
    // c channels, service time as the per-command latency, and a pipe too fast to matter.
    const device = new DeviceQueue({ ...singleServer, channels: servers, read: { latencyNs: 0, bytesPerSec: Infinity, commandsPerSec: Infinity } });
    const events = new EventQueue();
    const meanInterarrivalNs = MEAN_SERVICE_NS / (servers * rho);
    const services = new Float64Array(CUSTOMERS);
    let arrivalAt = 0;
    for (let customer = 0; customer < CUSTOMERS; customer++) {
      arrivalAt += -Math.log(1 - random()) * meanInterarrivalNs;
      services[customer] = -Math.log(1 - random()) * MEAN_SERVICE_NS;
      events.push(arrivalAt, 0, customer);
    }
    let totalWaitNs = 0;
    while (events.pop()) {
      const customer = events.poppedArg;
      const doneAt = device.submit(Operation.Read, events.poppedTime, 0, services[customer]);
      totalWaitNs += doneAt - events.poppedTime - services[customer];
    }
    const measured = totalWaitNs / CUSTOMERS;

    // Erlang C: P(wait) = (a^c / c!) / ((1 - rho) sum_{k<c} a^k / k! + a^c / c!), a = c rho, and
    // the mean wait is P(wait) S / (c (1 - rho)).
    const offered = servers * rho;
    let term = 1;
    let partialSum = 0;
    for (let k = 0; k < servers; k++) {
      partialSum += term;
      term *= offered / (k + 1);
    }
    const waitProbability = term / ((1 - rho) * partialSum + term);
    const expected = (waitProbability * MEAN_SERVICE_NS) / (servers * (1 - rho));
    expect(Math.abs(measured - expected) / expected).toBeLessThan(0.02);
  });

  it('M/D/1 mean wait is rho S / (2 (1 - rho))', () => {
    const rho = 0.5;
    const measured = meanWait(rho, () => MEAN_SERVICE_NS, 'md1');
    const expected = (rho * MEAN_SERVICE_NS) / (2 * (1 - rho));
    expect(Math.abs(measured - expected) / expected).toBeLessThan(0.02);
  });
});

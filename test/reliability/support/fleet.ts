import { startServiceProcess, sleep, type ServiceProcess } from './service-process';
import { timedFetch } from './traffic';

/**
 * Instances of the service behind a load balancer played by the test: it probes each instance's
 * /ready every PROBE_MS, sends traffic round-robin to those that answered 200, and never retries a
 * request. What a rolling deploy needs from the service shows up here as numbers: requests that
 * failed, instances that left rotation without having been told to stop, time with none in rotation.
 */
export interface Instance {
  readonly name: string;
  readonly process: ServiceProcess;
  inRotation: boolean;
  /** Set when the test sends SIGTERM: from then on, not answering ready is expected. */
  signalled: boolean;
}

export interface Retired {
  readonly name: string;
  readonly exitCode: number | null;
  /** SIGTERM to exit. */
  readonly ms: number;
}

const PROBE_MS = 100;

export class Fleet {
  readonly instances: Instance[] = [];
  readonly retired: Retired[] = [];
  /** Probes that found an instance in rotation unready although nobody had told it to stop. */
  readonly unreadyOutsideDrain: string[] = [];
  private next = 0;
  private probing = true;
  private readonly probe: Promise<void>;

  constructor(private readonly env: () => Record<string, string | undefined>) {
    this.probe = this.probeLoop();
  }

  /** Starts an instance of the release at `entry` and puts it into rotation once /ready answers 200. */
  async add(name: string, entry: string, extra: Record<string, string | undefined> = {}): Promise<Instance> {
    const process = await startServiceProcess({ entry: [entry], env: { ...this.env(), ...extra } });
    const instance: Instance = { name, process, inRotation: false, signalled: false };
    for (let i = 0; ; i++) {
      const ready = await timedFetch(`${process.url}/api/v1/auth/ready`, { timeoutMs: 5_000 }).catch(() => undefined);
      if (ready?.status === 200) break;
      if (i > 100) {
        await process.stop();
        throw new Error(`${name} never became ready: ${ready?.status} ${ready?.body} ${process.output()}`);
      }
      await sleep(100);
    }
    instance.inRotation = true;
    this.instances.push(instance);
    return instance;
  }

  /** SIGTERM, as an orchestrator sends it; resolves when the process has exited. */
  async retire(instance: Instance): Promise<Retired> {
    instance.signalled = true;
    const started = Date.now();
    const exitCode = await instance.process.stop(60_000);
    const retired = { name: instance.name, exitCode, ms: Date.now() - started };
    this.retired.push(retired);
    this.instances.splice(this.instances.indexOf(instance), 1);
    return retired;
  }

  /** Replaces `old` by a new instance of `entry` (start the new one first, as a rolling update with a surge of one). */
  async replace(old: Instance, name: string, entry: string, extra: Record<string, string | undefined> = {}): Promise<Retired> {
    await this.add(name, entry, extra);
    return this.retire(old);
  }

  /** The base URL of the next instance in rotation. */
  pick(): string {
    const live = this.instances.filter((i) => i.inRotation);
    if (live.length === 0) throw new Error('no instance in rotation');
    return live[this.next++ % live.length]!.process.url;
  }

  async stop(): Promise<void> {
    this.probing = false;
    await this.probe;
    await Promise.all(this.instances.map((i) => i.process.stop()));
  }

  private async probeLoop(): Promise<void> {
    while (this.probing) {
      await Promise.all(
        this.instances.map(async (instance) => {
          const answer = await timedFetch(`${instance.process.url}/api/v1/auth/ready`, { timeoutMs: 5_000 }).catch(() => undefined);
          const ready = answer?.status === 200;
          if (!ready && instance.inRotation && !instance.signalled) {
            this.unreadyOutsideDrain.push(`${instance.name}: ${answer?.status ?? 'no answer'} ${answer?.body.slice(0, 200) ?? ''}`);
          }
          instance.inRotation = ready;
        }),
      );
      await sleep(PROBE_MS);
    }
  }
}

/**
 * Debian packages through the host's apt, without root: apt gets a private state and cache
 * directory inside x86vm's cache (lists, archives, an empty dpkg status), uses the host's
 * sources.list / sources.list.d and keyrings, and `apt-get download` writes the .deb files into the
 * cache. `apt-get update` runs into the private lists once (and again when they are older than a
 * week or a package is not found).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export class FetchError extends Error {}

/** ~/.cache/x86vm, or $X86VM_CACHE, or $XDG_CACHE_HOME/x86vm. */
export function cacheDir(): string {
  if (process.env.X86VM_CACHE) return process.env.X86VM_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'x86vm');
}

export const OWN_KERNEL_HINT =
  'boot your own kernel instead: x86vm -kernel bzImage -initrd initrd.img -append "console=ttyS0" (or a disk image: x86vm -hda disk.img)';

export function hasApt(): boolean {
  return spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface AptOptions {
  /** Debian architecture of the packages (default: the host's, normally amd64). */
  arch?: string;
  /** Where progress goes (default: stderr); null for quiet. */
  progress?: NodeJS.WritableStream | null;
  cache?: string;
}

/** A private apt instance rooted in the cache. */
export class Apt {
  readonly root: string;
  readonly debs: string;
  private readonly arch: string | null;
  private readonly progress: NodeJS.WritableStream | null;
  private updated = false;

  constructor(options: AptOptions = {}) {
    if (!hasApt()) {
      throw new FetchError(`apt-get was not found: the default guest is made from Debian packages fetched with apt; ${OWN_KERNEL_HINT}`);
    }
    this.arch = options.arch ?? null;
    this.root = join(options.cache ?? cacheDir(), 'apt', options.arch ?? 'host');
    this.debs = join(options.cache ?? cacheDir(), 'debs');
    this.progress = options.progress === undefined ? process.stderr : options.progress;
    for (const dir of ['lists/partial', 'archives/partial']) mkdirSync(join(this.root, dir), { recursive: true });
    mkdirSync(this.debs, { recursive: true });
    const status = join(this.root, 'status');
    if (!existsSync(status)) writeFileSync(status, '');
  }

  private options(): string[] {
    const o = [
      `Dir::State::Lists=${join(this.root, 'lists')}`,
      `Dir::Cache=${this.root}`,
      `Dir::Cache::archives=${join(this.root, 'archives')}`,
      `Dir::State::status=${join(this.root, 'status')}`,
      'Debug::NoLocking=1',
      'APT::Get::AllowUnauthenticated=0',
    ];
    if (this.arch) o.push(`APT::Architecture=${this.arch}`, `APT::Architectures=${this.arch}`);
    if (process.getuid?.() === 0) o.push('APT::Sandbox::User=root');
    return o.flatMap((x) => ['-o', x]);
  }

  private say(text: string): void {
    this.progress?.write(`x86vm: ${text}\n`);
  }

  /** Run apt-get/apt-cache; stdout is returned, stderr (and stdout when `show`) goes to the progress stream. */
  private run(program: string, args: string[], cwd: string, show: boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(program, [...this.options(), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (show) this.progress?.write(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        err += text;
        // apt warns when a root download cannot drop to the _apt user; not worth showing.
        if (show && !/unsandboxed as root/.test(text)) this.progress?.write(chunk);
      });
      child.on('error', (e) => reject(new FetchError(`${program}: ${e.message}`)));
      child.on('close', (code) => {
        if (code === 0) resolve(out);
        else reject(new FetchError(`${program} ${args.join(' ')} failed (exit ${code}): ${err.trim().split('\n').slice(-2).join(' ')}`));
      });
    });
  }

  /** `apt-get update` into the private lists when they are missing or older than a week (or forced). */
  async update(force = false): Promise<void> {
    if (this.updated && !force) return;
    const lists = join(this.root, 'lists');
    const files = readdirSync(lists).filter((f) => f.endsWith('Packages') || f.includes('Packages.'));
    const fresh = files.length > 0 && files.every((f) => Date.now() - statSync(join(lists, f)).mtimeMs < 7 * 86400e3);
    if (!fresh || force) {
      this.say(`updating the package lists (${this.arch ?? 'host architecture'}) from the host's apt sources...`);
      try {
        await this.run('apt-get', ['-q', 'update'], this.root, true);
      } catch (error) {
        // A mirror mid-sync fails one index; the others (and older lists) are still usable.
        const have = readdirSync(lists).some((f) => f.includes('Packages'));
        if (!have) throw error;
        this.say(`apt-get update reported errors; continuing with the lists it got (${(error as Error).message.slice(0, 200)})`);
      }
    }
    this.updated = true;
  }

  /** The first package `name` depends on (resolves e.g. linux-image-amd64 to linux-image-6.1.0-NN-amd64). */
  async dependency(name: string, pattern: RegExp): Promise<string> {
    await this.update();
    const out = await this.run('apt-cache', ['depends', name], this.root, false);
    for (const line of out.split('\n')) {
      const m = /^\s*\|?Depends:\s*(\S+)/.exec(line);
      if (m && pattern.test(m[1]!)) return m[1]!.replace(/:.*$/, '');
    }
    throw new FetchError(`apt: ${name} has no dependency matching ${pattern}`);
  }

  /** Candidate version of a package. */
  async version(name: string): Promise<string> {
    await this.update();
    const out = await this.run('apt-cache', ['policy', name], this.root, false);
    const m = /Candidate:\s*(\S+)/.exec(out);
    if (!m || m[1] === '(none)') throw new FetchError(`apt: no package named ${name} in the configured sources`);
    return m[1]!;
  }

  /** Path of the .deb of `name` (candidate version) in the cache, downloading it when missing. */
  async download(name: string): Promise<string> {
    const version = await this.version(name);
    const arch = this.arch ?? hostArch();
    const find = () => readdirSync(this.debs).find((f) => {
      const [pkg, ver, rest] = f.split('_');
      return pkg === name && ver !== undefined && decodeURIComponent(ver) === version && rest !== undefined && (rest === `${arch}.deb` || rest === 'all.deb');
    });
    let file = find();
    if (!file) {
      this.say(`downloading ${name} ${version} from Debian...`);
      await this.run('apt-get', ['-q', 'download', `${name}:${arch}`, '-o', 'quiet::NoProgress=0'], this.debs, true)
        .catch(() => this.run('apt-get', ['-q', 'download', name], this.debs, true));
      file = find();
      if (!file) throw new FetchError(`apt-get download ${name} left no .deb in ${this.debs}`);
    }
    return join(this.debs, file);
  }
}

let host: string | null = null;
export function hostArch(): string {
  host ??= spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout?.trim() || 'amd64';
  return host;
}

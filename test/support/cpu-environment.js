// jest's node environment, plus the CPU time a test file costs: its worker's user and system time and
// that of the child processes it waited for (the CLI, gator, kubeconform, tofu, kubectl, a control
// plane's processes), from /proc/self/stat. With AGENTGUARD_TEST_CPU_FILE set, one JSON line per test
// file is appended there; otherwise nothing is measured.
const { appendFileSync, readFileSync } = require('node:fs');
const { TestEnvironment } = require('jest-environment-node');

const TICKS_PER_SECOND = 100;

function cpuSeconds() {
  // Fields after the command name: utime, stime, cutime, cstime are the 14th to 17th of the line.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return { self: (utime + stime) / TICKS_PER_SECOND, children: (cutime + cstime) / TICKS_PER_SECOND };
}

class CpuEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async setup() {
    this.started = { ...cpuSeconds(), at: Date.now() };
    await super.setup();
  }

  async teardown() {
    await super.teardown();
    const out = process.env.AGENTGUARD_TEST_CPU_FILE;
    if (!out || !this.started) return;
    const now = cpuSeconds();
    appendFileSync(
      out,
      `${JSON.stringify({
        file: this.testPath,
        wall: (Date.now() - this.started.at) / 1000,
        self: now.self - this.started.self,
        children: now.children - this.started.children,
      })}\n`,
    );
  }
}

module.exports = CpuEnvironment;

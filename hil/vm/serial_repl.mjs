// A virtual Pico on a serial line: the real MicroPython VM's REPL (friendly, raw and
// soft reset, as mpremote drives it) on stdin/stdout, which the host binds to a pty.
// The filesystem lives as long as this process: what mpremote copies stays until exit.
import fs from "fs";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const write = (bytes) => fs.writeSync(1, bytes);
const mp = await loadMicroPython({
  heapsize: 4 * 1024 * 1024,
  linebuffer: false,
  stdout: (bytes) => write(bytes),
  stderr: (bytes) => write(bytes),
});
mp.FS.mkdir("/lib");
mp.FS.writeFile("/lib/vmfs.py", fs.readFileSync(new URL("vmfs.py", import.meta.url)));
mp.FS.mkdir("/flash");
mp.runPython("import vmfs\nimport os\nos.chdir('/flash')");
mp.replInit();

// The WebAssembly port's event-driven raw REPL stalls in raw-paste mode, so the request
// (Ctrl-E "A" Ctrl-A) is answered here with "not supported" (R\x00): mpremote then uses
// the plain raw REPL, as with any board without raw paste.
const RAW_PASTE = [0x05, 0x41, 0x01];
let held = [];
function receive(byte) {
  if (byte === RAW_PASTE[held.length]) {
    held.push(byte);
    if (held.length === RAW_PASTE.length) {
      held = [];
      queue = queue.then(() => write(Buffer.from("R\x00", "latin1")));
    }
    return;
  }
  for (const b of held) feed(b);
  held = [];
  if (byte === RAW_PASTE[0]) held.push(byte);
  else feed(byte);
}

let queue = Promise.resolve();
function feed(byte) {
  queue = queue.then(async () => {
    if (await mp.replProcessCharWithAsyncify(byte)) {
      // Ctrl-D on an empty line: a soft reset. The files stay; the REPL starts again.
      write(Buffer.from("MPY: soft reboot\r\n"));
      mp.replInit();
    }
  });
}

const buf = Buffer.alloc(4096);
function pump() {
  fs.read(0, buf, 0, buf.length, null, (err, n) => {
    if (err || n === 0) { queue.then(() => process.exit(0)); return; }
    for (let i = 0; i < n; i++) receive(buf[i]);
    pump();
  });
}
pump();

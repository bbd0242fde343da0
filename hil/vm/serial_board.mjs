// A virtual board behind a serial line: the Pico image on the real MicroPython VM, its USB
// CDC port on this process's stdin/stdout, which the host binds to a pty.
// argv[2]: JSON job {"files": {"/path": "<base64>"}, "inputs": {"adc": {}, "pins": {}, ...}}:
// the same inputs (ADC counts, pins, I2C answers, tachometer edges) at every frame.
// The board's `machine` reads the fixed inputs of the job (the HIL jumper among them) and
// its clock runs in real time; in HIL mode the host's frames are the sensors anyway.
import fs from "fs";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import { writeBoardFiles } from "./board_files.mjs";

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const pause = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(pause, 0, 0, ms);

function write(text) {
  let buf = Buffer.from(text, "latin1");
  while (buf.length) {
    try {
      buf = buf.subarray(fs.writeSync(1, buf));
    } catch (e) {
      if (e.code !== "EAGAIN") process.exit(0);  // the host hung up
      sleep(1);
    }
  }
}

function readAvailable() {
  const buf = Buffer.alloc(256);
  try {
    const n = fs.readSync(0, buf, 0, buf.length, null);
    if (n === 0) process.exit(0);
    return buf.toString("latin1", 0, n);
  } catch (e) {
    if (e.code === "EAGAIN") return "";
    process.exit(0);
  }
}

let ms = 0;
const mp = await loadMicroPython({
  heapsize: 4 * 1024 * 1024,
  stdout: (line) => write(line + "\n"),
  stderr: (line) => write(line + "\n"),
});
mp.registerJsModule("serialport", { read: readAvailable, write: write });
mp.registerJsModule("hostlink", {
  exchange: (text) => {
    const frame = JSON.parse(text);
    if (frame.reset) process.exit(0);
    if (frame.sleep) {
      sleep(Math.min(frame.sleep, 100));
      ms = (ms + frame.sleep) % (1 << 30);
    }
    return JSON.stringify(Object.assign({}, job.inputs, { ms: ms }));
  },
});
writeBoardFiles(mp, job.files);
try {
  mp.runPython("import probe\nimport main\n");
} catch (e) {
  write(String(e.message || e) + "\n");
}

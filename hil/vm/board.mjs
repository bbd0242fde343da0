// A virtual board: the firmware on the real MicroPython VM, its `machine` driven by the host.
// argv[2]: a JSON job {"files": {"/path": "<base64>"}, "code": "...", "heapsize": n}.
// Frames: the VM's hostlink.exchange(text) writes "@@frame <text>" on stdout and blocks
// until the host answers with one line on stdin. Everything else on stdout is the board's
// console. An uncaught exception: its traceback on stderr, exit 1.
import fs from "fs";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import { writeBoardFiles } from "./board_files.mjs";

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
let pending = "";

function readLine() {
  const buf = Buffer.alloc(65536);
  while (!pending.includes("\n")) {
    let n;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if (e.code === "EAGAIN") continue;
      throw e;
    }
    if (n === 0) return "";
    pending += buf.toString("utf8", 0, n);
  }
  const i = pending.indexOf("\n");
  const line = pending.slice(0, i);
  pending = pending.slice(i + 1);
  return line;
}

const mp = await loadMicroPython({
  heapsize: job.heapsize || 8 * 1024 * 1024,
  stdout: (line) => fs.writeSync(1, line + "\n"),
  stderr: (line) => fs.writeSync(2, line + "\n"),
});
mp.registerJsModule("hostlink", {
  exchange: (text) => {
    fs.writeSync(1, "@@frame " + text + "\n");
    const line = readLine();
    if (line === "") throw new Error("host closed the link");
    return line;
  },
});
writeBoardFiles(mp, job.files);
try {
  mp.runPython(job.code);
} catch (e) {
  fs.writeSync(2, String(e.message || e) + "\n");
  process.exitCode = 1;
}

// Runs Python code on the real MicroPython VM (WebAssembly build, pinned in package.json).
// Job on stdin as JSON: {"files": {"/path": "<base64>"}, "code": "...", "heapsize": n}.
// The VM's stdout goes to stdout; an uncaught Python exception goes to stderr, exit 1.
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const job = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const out = [];
const mp = await loadMicroPython({
  heapsize: job.heapsize || 8 * 1024 * 1024,
  stdout: (line) => out.push(line),
  stderr: (line) => process.stderr.write(line + "\n"),
});
for (const [path, b64] of Object.entries(job.files || {})) {
  const parts = path.split("/").filter((p) => p);
  let dir = "";
  for (const part of parts.slice(0, -1)) {
    dir += "/" + part;
    try { mp.FS.mkdir(dir); } catch (e) { /* exists */ }
  }
  mp.FS.writeFile(path, Buffer.from(b64, "base64"));
}
let status = 0;
try {
  mp.runPython(job.code);
} catch (e) {
  process.stderr.write(String(e.message || e) + "\n");
  status = 1;
}
process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
process.exitCode = status;

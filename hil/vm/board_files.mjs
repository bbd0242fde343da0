// Writes a job's board files ({"/path": "<base64>"}) into a MicroPython VM's filesystem.
export function writeBoardFiles(mp, files) {
  for (const [path, b64] of Object.entries(files)) {
    let dir = "";
    for (const part of path.split("/").filter((p) => p).slice(0, -1)) {
      dir += "/" + part;
      try { mp.FS.mkdir(dir); } catch (e) { /* exists */ }
    }
    mp.FS.writeFile(path, Buffer.from(b64, "base64"));
  }
}

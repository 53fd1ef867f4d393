import fs from "node:fs";

/**
 * Removes a directory a server just wrote in: a server that has exited may still have its
 * last log line in flight (Deno reports a child's exit early), so ENOTEMPTY is retried.
 */
export async function removeDir(dir: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

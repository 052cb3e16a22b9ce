// One question to a dedicated worker, one answer, then the worker is ended (its memory, keys and
// passwords included). The caller creates the worker, so that the bundler sees its URL.

/** Posts `message` to `worker` and resolves with its first reply; `name` says which worker failed. */
export async function askWorkerOnce<Reply>(worker: Worker, name: string, message: unknown): Promise<Reply> {
  try {
    return await new Promise<Reply>((resolve, reject) => {
      worker.addEventListener('message', (event: MessageEvent<Reply>) => resolve(event.data));
      worker.addEventListener('error', (event) =>
        reject(new Error(event.message || `the ${name} worker failed`)),
      );
      worker.postMessage(message);
    });
  } finally {
    worker.terminate();
  }
}

export { startWorker, type StartedWorker, type WorkerOpened } from "./start-worker";
export { serveWorker } from "./serve-worker";
export { CallClient } from "./calls";

// Segments an image through a running PixelLM gateway with @pixellm/client alone (README "Client"):
//   npm install ./pixellm-client-0.1.0.tgz && node segment.mjs 127.0.0.1:7100 photo.png "Segment the cat."
import { readFile } from "node:fs/promises";
import process from "node:process";
import { PixelLMClient } from "@pixellm/client";

const [address, imageFile, query] = process.argv.slice(2);
const client = new PixelLMClient(address, { apiKey: process.env.PIXELLM_API_KEY });
const answer = await client.segment({ image: await readFile(imageFile), query }, { timeoutMs: 120_000 });
process.stdout.write(`${JSON.stringify({ text: answer.text, masks: answer.targets.map((t) => t.mask) })}\n`);
client.close();

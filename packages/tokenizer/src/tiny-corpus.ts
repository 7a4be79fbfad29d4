/**
 * The built-in English corpus the tiny test tokenizer is trained on: llava_v1 prompts with
 * segmentation questions and answers like PixelLM's, so that prompts and answers encode into
 * realistic pieces (`▁Sure`, `▁the`, `▁segment`, …). Deterministic: plain nested loops.
 */
import { LLAVA_V1_SYSTEM } from "./prompt";

const OBJECTS = [
  "dog",
  "cat",
  "red car",
  "blue car",
  "person",
  "man",
  "woman",
  "child",
  "apple",
  "pear",
  "banana",
  "orange",
  "bicycle",
  "horse",
  "bird",
  "tree",
  "chair",
  "table",
  "cup",
  "bottle",
  "laptop",
  "phone",
  "bus",
  "train",
  "boat",
  "umbrella",
  "kite",
  "sheep",
  "cow",
  "elephant",
  "zebra",
  "pizza",
  "sandwich",
  "clock",
  "book",
  "bed",
  "sofa",
];

const QUESTIONS = [
  (o: string): string => `Please segment the ${o}.`,
  (o: string): string => `Where is the ${o}?`,
  (o: string): string => `Can you segment the ${o} in this image?`,
  (o: string): string => `What is ${o} in this image? Please respond with segmentation mask.`,
  (o: string): string => `Could you find the ${o} and the ${o === "pear" ? "apple" : "pear"}?`,
  (o: string): string => `Which object in the image is the ${o}? Please output segmentation mask.`,
];

const SEG_GROUP = "[SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5]";

const ANSWERS: readonly ((object: string) => string)[] = [
  (): string => `Sure, it is ${SEG_GROUP}.`,
  (o: string): string => `Sure, the segmentation result of the ${o} is ${SEG_GROUP}.`,
  (o: string): string => `Sure, the segmentation result of ${o} are ${SEG_GROUP}.`,
  (o: string): string => `The ${o} is ${SEG_GROUP} and the table is ${SEG_GROUP}.`,
  (): string => `The apple ${SEG_GROUP} and the pear ${SEG_GROUP} are ripe.`,
  (o: string): string => `Sure, ${o} is ${SEG_GROUP}.`,
];

const GENERAL = [
  "What is in the image? Please output segmentation mask.",
  "The image shows 2 dogs, 3 cats and 10 apples on a wooden table.",
  "It is a sunny day and the sky is blue.",
  "There are many people in the street, and a red car is parked near the tree.",
  "I am sorry, but I can not find it in the image.",
  "Yes, there is a dog on the sofa. No, there is no cat.",
  "The man is riding a bicycle while the woman is holding an umbrella.",
  "Segmentation masks show which pixels belong to each object.",
];

export function tinyCorpus(): string[] {
  const lines: string[] = [...GENERAL];
  OBJECTS.forEach((object, i) => {
    QUESTIONS.forEach((question, j) => {
      const answer = ANSWERS[(i + j) % ANSWERS.length]!;
      lines.push(`${LLAVA_V1_SYSTEM} USER: ${question(object)} ASSISTANT: ${answer(object)}`);
    });
  });
  return lines;
}

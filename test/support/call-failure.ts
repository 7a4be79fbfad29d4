/** The error a gRPC call was expected to end with (its status code and details). */
export async function failure(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code: number; details: string } | undefined;
  if (!error) throw new Error("expected the call to fail");
  return error;
}

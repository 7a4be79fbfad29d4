/** Convolutions over one image, channel-major [C, H, W] float32. */

export interface ConvWeights {
  /** [out, in, kh, kw] for conv2d; [in, out, 2, 2] for the 2×2 transposed conv (PyTorch layouts). */
  readonly weight: Float32Array;
  readonly bias: Float32Array | undefined;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
}

export interface Conv2dGeometry {
  readonly height: number;
  readonly width: number;
  readonly stride: number;
  readonly padding: number;
}

export interface FeatureMap {
  readonly data: Float32Array;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** nn.Conv2d with a square kernel and zero padding. */
export function conv2d(conv: ConvWeights, x: Float32Array, g: Conv2dGeometry): FeatureMap {
  const { weight, bias, inChannels: c, outChannels: o, kernel: k } = conv;
  const { height: h, width: w, stride, padding } = g;
  if (x.length !== c * h * w)
    throw new RangeError(`conv2d: input has ${x.length} values, expected ${c}×${h}×${w}`);
  const oh = Math.floor((h + 2 * padding - k) / stride) + 1;
  const ow = Math.floor((w + 2 * padding - k) / stride) + 1;
  const out = new Float32Array(o * oh * ow);
  for (let oc = 0; oc < o; oc++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let s = 0;
        for (let ic = 0; ic < c; ic++) {
          const wBase = (oc * c + ic) * k * k;
          const xBase = ic * h * w;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * stride - padding + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * stride - padding + kx;
              if (ix < 0 || ix >= w) continue;
              s += x[xBase + iy * w + ix]! * weight[wBase + ky * k + kx]!;
            }
          }
        }
        out[(oc * oh + oy) * ow + ox] = s + (bias ? bias[oc]! : 0);
      }
    }
  }
  return { data: out, channels: o, height: oh, width: ow };
}

/** nn.ConvTranspose2d(kernel 2, stride 2): out[o, 2i+a, 2j+b] = bias[o] + Σ_c x[c,i,j]·W[c,o,a,b]. */
export function convTranspose2x2(
  conv: ConvWeights,
  x: Float32Array,
  height: number,
  width: number,
): FeatureMap {
  const { weight, bias, inChannels: c, outChannels: o } = conv;
  if (conv.kernel !== 2) throw new RangeError(`convTranspose2x2: kernel ${conv.kernel}, expected 2`);
  if (x.length !== c * height * width) {
    throw new RangeError(`convTranspose2x2: input has ${x.length} values, expected ${c}×${height}×${width}`);
  }
  const oh = 2 * height;
  const ow = 2 * width;
  const out = new Float32Array(o * oh * ow);
  const hw = height * width;
  for (let oc = 0; oc < o; oc++) {
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < 2; b++) {
        for (let i = 0; i < height; i++) {
          for (let j = 0; j < width; j++) {
            let s = 0;
            const p = i * width + j;
            for (let ic = 0; ic < c; ic++) s += x[ic * hw + p]! * weight[((ic * o + oc) * 2 + a) * 2 + b]!;
            out[(oc * oh + 2 * i + a) * ow + 2 * j + b] = s + (bias ? bias[oc]! : 0);
          }
        }
      }
    }
  }
  return { data: out, channels: o, height: oh, width: ow };
}

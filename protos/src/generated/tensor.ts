import type * as grpc from "@grpc/grpc-js";
import type { EnumTypeDefinition, MessageTypeDefinition } from "@grpc/proto-loader";

import type {
  ImageSize as _pixellm_v1_ImageSize,
  ImageSize__Output as _pixellm_v1_ImageSize__Output,
} from "./pixellm/v1/ImageSize";
import type {
  Tensor as _pixellm_v1_Tensor,
  Tensor__Output as _pixellm_v1_Tensor__Output,
} from "./pixellm/v1/Tensor";

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  pixellm: {
    v1: {
      DType: EnumTypeDefinition;
      ImageSize: MessageTypeDefinition<_pixellm_v1_ImageSize, _pixellm_v1_ImageSize__Output>;
      Tensor: MessageTypeDefinition<_pixellm_v1_Tensor, _pixellm_v1_Tensor__Output>;
    };
  };
}

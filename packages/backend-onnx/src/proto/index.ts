/**
 * `@illia-ts/backend-onnx/proto`: the ONNX protobuf writer the backend uses, for tools that build
 * their own graphs (the bench's hand-fused ONNX Runtime ceiling). Importing it registers nothing.
 */
export {
  type AttributeProto,
  constantTensor,
  DataType,
  encodeModel,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './onnx.js';

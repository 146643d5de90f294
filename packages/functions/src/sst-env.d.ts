/**
 * Types of the resources bound to the handlers (SST v2 `bind`), for type checking without a
 * generated `.sst/types`. The names are the construct ids of packages/core/src/resources.ts;
 * at run time `sst/node` reads the values from SST_<Construct>_<prop>_<id> variables.
 */
import "sst/node/table";
import "sst/node/bucket";
import "sst/node/kinesis-stream";

declare module "sst/node/table" {
  export interface TableResources {
    Latest: { tableName: string };
    Panes: { tableName: string };
    Windows: { tableName: string };
    State: { tableName: string };
  }
}

declare module "sst/node/bucket" {
  export interface BucketResources {
    Archive: { bucketName: string };
  }
}

declare module "sst/node/kinesis-stream" {
  export interface KinesisStreamResources {
    Prices: { streamName: string };
    Windows: { streamName: string };
  }
}

import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";

/** Dummy credentials the runtime uses and hands out; the local servers accept any key. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

export interface LocalEndpoints {
  region: string;
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  cognitoEndpoint: string;
}

/** SDK clients for the runtime's own use (provisioning, the poller, the archive, the generator). */
export function localClients(e: LocalEndpoints) {
  const common = { region: e.region, credentials: LOCAL_CREDENTIALS };
  return {
    // kinesalite rejects the HTTP/2 handler the Kinesis client picks by default.
    kinesis: new KinesisClient({
      ...common,
      endpoint: e.kinesisEndpoint,
      requestHandler: new NodeHttpHandler(),
    }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: e.dynamodbEndpoint }),
    s3: new S3Client({ ...common, endpoint: e.s3Endpoint, forcePathStyle: true }),
    cognito: new CognitoIdentityProviderClient({ ...common, endpoint: e.cognitoEndpoint }),
  };
}

export type LocalClients = ReturnType<typeof localClients>;

export function destroyClients(clients: LocalClients): void {
  for (const client of Object.values(clients)) client.destroy();
}

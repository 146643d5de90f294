import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";

/**
 * SDK clients for handlers and tools. In AWS the endpoints are the defaults; the local runtime
 * sets AWS_ENDPOINT_URL_<SERVICE> (the SDK's own variables) to its local servers.
 */
function localEndpoint(service: "KINESIS" | "DYNAMODB" | "S3"): string | undefined {
  return process.env[`AWS_ENDPOINT_URL_${service}`] || undefined;
}

export function kinesisClient(): KinesisClient {
  const endpoint = localEndpoint("KINESIS");
  // kinesalite rejects the HTTP/2 handler the Kinesis client picks by default.
  return new KinesisClient(
    endpoint ? { endpoint, requestHandler: new NodeHttpHandler() } : {},
  );
}

export function dynamoClient(): DynamoDBClient {
  const endpoint = localEndpoint("DYNAMODB");
  return new DynamoDBClient(endpoint ? { endpoint } : {});
}

export function documentClient(client: DynamoDBClient = dynamoClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function s3Client(): S3Client {
  const endpoint = localEndpoint("S3");
  return new S3Client(endpoint ? { endpoint, forcePathStyle: true } : {});
}

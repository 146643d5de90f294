// A pull-request preview stage: provisioned single-shard streams, removed whole.
import { describe, expect, it } from "vitest";
import { MonitoringStack } from "./MonitoringStack";
import { StorageStack } from "./StorageStack";
import { StreamStack } from "./StreamStack";
import {
  resourcesOf,
  streamResources,
  synthStageForFile,
} from "../scripts/offline-synth/stage-templates";

const s = synthStageForFile("pr-42");

describe("preview stage", () => {
  it("uses one provisioned shard per stream", () => {
    for (const [spec, stream] of streamResources(s.template(StreamStack))) {
      expect(stream.Properties).toMatchObject({
        Name: `pr-42-tickstream-${spec.id}`,
        ShardCount: 1,
        StreamModeDetails: { StreamMode: "PROVISIONED" },
        StreamEncryption: { EncryptionType: "KMS", KeyId: "alias/aws/kinesis" },
      });
      expect(stream.DeletionPolicy).toBe("Delete");
    }
  });

  it("removes its data with the stage", () => {
    const t = s.template(StorageStack);
    for (const r of Object.values(resourcesOf(t, "AWS::DynamoDB::Table")))
      expect(r.DeletionPolicy).toBe("Delete");
    t.resourceCountIs("Custom::S3AutoDeleteObjects", 1);
  });

  it("uses the relaxed alarm thresholds of non-production stages", () => {
    const alarms = Object.values(
      resourcesOf(s.template(MonitoringStack), "AWS::CloudWatch::Alarm"),
    );
    const iteratorAge = alarms.filter((a) => a.Properties!.MetricName === "IteratorAge");
    expect(iteratorAge.map((a) => a.Properties!.Threshold)).toEqual([300_000, 300_000]);
  });
});

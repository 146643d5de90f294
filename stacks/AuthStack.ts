import { Cognito, type StackContext } from "sst/constructs";
import { Duration } from "aws-cdk-lib";
import * as cognito from "aws-cdk-lib/aws-cognito";
import * as iam from "aws-cdk-lib/aws-iam";
import { removalPolicyOf, stageConfig } from "./stage-config";

/**
 * Cognito user pool (email sign-in) with the dashboard's app client, and an identity pool for
 * signed-in users only.
 */
export function AuthStack({ stack, app }: StackContext) {
  const cfg = stageConfig(app.stage);

  const auth = new Cognito(stack, "Auth", {
    login: ["email"],
    identityPoolFederation: {
      cdk: { cfnIdentityPool: { allowUnauthenticatedIdentities: false } },
    },
    cdk: {
      userPool: {
        selfSignUpEnabled: cfg.auth.selfSignUp,
        autoVerify: { email: true },
        standardAttributes: { email: { required: true, mutable: true } },
        accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
        passwordPolicy: {
          minLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireDigits: true,
          requireSymbols: true,
        },
        // Threat protection (compromised-credential checks, adaptive authentication) needs the
        // Plus feature plan, billed per monthly active user: on the stages that ask for it.
        ...(cfg.auth.threatProtection
          ? {
              featurePlan: cognito.FeaturePlan.PLUS,
              standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            }
          : {}),
        deletionProtection: cfg.deletionProtection,
        removalPolicy: removalPolicyOf(cfg),
      },
      userPoolClient: {
        // SRP for the hosted flows, USER_PASSWORD_AUTH for the dashboard's sign-in (the same
        // flow the local Cognito emulator supports); refresh tokens are always allowed.
        authFlows: { userSrp: true, userPassword: true },
        generateSecret: false,
        preventUserExistenceErrors: true,
        enableTokenRevocation: true,
        accessTokenValidity: Duration.hours(1),
        idTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.days(30),
      },
    },
  });

  // SST gives the identity pool roles `cognito-sync:*` / `cognito-identity:*` on "*". The
  // dashboard needs no AWS credentials: signed-in identities may only fetch their own
  // credentials, and the unauthenticated role (disabled above anyway) may do nothing.
  const identityPoolArn = `arn:${stack.partition}:cognito-identity:${stack.region}:${stack.account}:identitypool/${auth.cognitoIdentityPoolId}`;
  narrowRolePolicy(auth.cdk.authRole, [
    new iam.PolicyStatement({
      actions: ["cognito-identity:GetCredentialsForIdentity"],
      resources: [identityPoolArn],
    }),
  ]);
  narrowRolePolicy(auth.cdk.unauthRole, [
    new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ["*"], resources: ["*"] }),
  ]);

  stack.addOutputs({
    UserPoolId: auth.userPoolId,
    UserPoolClientId: auth.userPoolClientId,
    IdentityPoolId: auth.cognitoIdentityPoolId ?? "",
    Region: app.region,
  });

  return { auth };
}

/**
 * Replaces the statements SST put in a role's default policy. The document is set on the L1
 * resource itself (not as a raw override), so the template and anything that inspects the
 * construct tree (cdk-nag) see the same statements.
 */
function narrowRolePolicy(role: iam.Role, statements: iam.PolicyStatement[]): void {
  const policy = role.node.tryFindChild("DefaultPolicy") as iam.Policy | undefined;
  const cfn = policy?.node.defaultChild as iam.CfnPolicy | undefined;
  if (!cfn) throw new Error(`No default policy on ${role.node.path}`);
  cfn.policyDocument = new iam.PolicyDocument({ statements });
}

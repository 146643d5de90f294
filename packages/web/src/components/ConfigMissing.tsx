export function ConfigMissing({ problems }: { problems: string[] }) {
  return (
    <main className="centered">
      <section className="card" role="alert" data-testid="config-missing">
        <h1>Tickstream is not configured</h1>
        <p>
          The dashboard needs the address of the API and of the Cognito user pool, and these
          settings are missing or wrong:
        </p>
        <ul>
          {problems.map((p) => (
            <li key={p}>
              <code>{p}</code>
            </li>
          ))}
        </ul>
        <p>
          On this machine, run <code>npm start</code> from the repository root: it starts the back
          end and the dashboard with these variables set. In AWS, SST&apos;s NextjsSite sets them at
          deploy time (<code>npx sst deploy</code>). They are read when the dashboard is built, so
          restart <code>next dev</code> or rebuild after changing them.
        </p>
      </section>
    </main>
  );
}

// The benchmark driver of scripts/bench.sh. Usage:
//   dotnet Loyalty.Chain.Bench.dll [--quick] [--root DIR] [--work DIR] [--api-dll PATH] [--phases naive,sqlite,settle,redeem,analytics,webhooks,pg]
// Progress goes to stderr; the LAST line of stdout is one JSON object with the figures (also written to WORK/result.json).
// Exit status: 0 when every phase ran, 1 when a phase failed (its figures are null and "<phase>_error" says why),
// 130 when interrupted. Everything it started (node, API processes, PostgreSQL) is stopped before it exits.
using System.Runtime.InteropServices;
using Loyalty.Chain.Bench;

var options = BenchOptions.Parse(args);
using var cts = new CancellationTokenSource();
void Interrupt(PosixSignalContext context)
{
    context.Cancel = true; // stop in order, through the finally blocks
    if (!cts.IsCancellationRequested) Console.Error.WriteLine($"bench: {context.Signal}, stopping everything");
    cts.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);

return await new BenchRun(options).RunAsync(cts.Token);

namespace Loyalty.Chain.Bench;

/// <summary>Command line of the driver.</summary>
public sealed record BenchOptions(BenchSettings Settings, string Root, string? Work, string ApiDll, IReadOnlySet<string> Phases)
{
    public static readonly string[] AllPhases = ["naive", "sqlite", "settle", "redeem", "read", "analytics", "webhooks", "reconcile", "recovery", "pg", "engagement"];

    public static BenchOptions Parse(string[] args)
    {
        var settings = BenchSettings.Full;
        string? root = null, work = null, apiDll = null;
        // The engagement A/B (issue 13's cost) runs only when asked for: it takes minutes the default run and --quick have not.
        IReadOnlySet<string> phases = AllPhases.Where(p => p != "engagement").ToHashSet();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--quick": settings = BenchSettings.Quick; break;
                case "--full": settings = BenchSettings.Full; break;
                case "--root": root = Path.GetFullPath(Next()); break;
                case "--work": work = Path.GetFullPath(Next()); break;
                case "--api-dll": apiDll = Path.GetFullPath(Next()); break;
                case "--phases":
                    phases = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
                    if (phases.Except(AllPhases).FirstOrDefault() is { } unknown)
                        throw new ArgumentException($"unknown phase '{unknown}' (phases: {string.Join(",", AllPhases)})");
                    break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        root ??= FindRoot();
        apiDll ??= Path.Combine(root, "src", "Loyalty.Chain.Api", "bin", "Release", "net10.0", "Loyalty.Chain.Api.dll");
        return new BenchOptions(settings, root, work, apiDll, phases);
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Loyalty.Chain.sln"))) return dir.FullName;
        }
        throw new ArgumentException("Loyalty.Chain.sln not found: pass --root");
    }
}

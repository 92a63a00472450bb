using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Loyalty.Chain.Bench.Infrastructure;

/// <summary>What the figures were measured on.</summary>
public static class Machine
{
    public static async Task<JsonObject> DescribeAsync(string root, CancellationToken ct)
    {
        return new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["ram_gib"] = Math.Round(MemTotalKib() / 1024.0 / 1024.0, 1),
            ["cpu"] = FirstValue("/proc/cpuinfo", "model name"),
            ["os"] = (FirstValue("/etc/os-release", "PRETTY_NAME")?.Trim('"') ?? RuntimeInformation.OSDescription) + $" ({RuntimeInformation.OSArchitecture})",
            ["kernel"] = ReadFirstLine("/proc/sys/kernel/osrelease"),
            ["dotnet_sdk"] = await VersionAsync("dotnet", ["--version"], ct),
            ["dotnet_runtime"] = RuntimeInformation.FrameworkDescription,
            ["node"] = await VersionAsync(HardhatNodeServer.NodeExecutable(root), ["--version"], ct),
            ["hardhat"] = PackageVersion(root, "hardhat"),
            // Other work on the machine skews every figure: this says how busy it was when the run began.
            ["load_average_at_start"] = ReadFirstLine("/proc/loadavg")?.Split(' ')[0],
        };
    }

    private static string? ReadFirstLine(string file)
    {
        try { return File.ReadLines(file).FirstOrDefault()?.Trim(); }
        catch (IOException) { return null; }
    }

    private static long MemTotalKib()
    {
        var line = FirstValue("/proc/meminfo", "MemTotal");
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
    }

    private static string? FirstValue(string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var sep = line.IndexOfAny([':', '=']);
                if (sep > 0 && line[..sep].Trim() == key) return line[(sep + 1)..].Trim();
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private static async Task<string?> VersionAsync(string file, string[] args, CancellationToken ct)
    {
        try
        {
            var (code, output) = await ChildProcess.RunAsync(file, args, null, ct, TimeSpan.FromSeconds(30));
            return code == 0 ? output.Split('\n')[0].Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    private static string? PackageVersion(string root, string package)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(Path.Combine(root, "node_modules", package, "package.json")))?["version"]?.GetValue<string>();
        }
        catch (IOException) { return null; }
    }
}

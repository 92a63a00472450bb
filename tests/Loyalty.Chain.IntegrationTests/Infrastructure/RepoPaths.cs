namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>Locates the repository root and the project-local Node 22 that scripts/test.sh installs.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string NodeExecutable
    {
        get
        {
            var local = Path.Combine(Root, ".tools", "node22", "node_modules", "node", "bin", "node");
            return File.Exists(local) ? local : "node";
        }
    }

    public static string HardhatCli => Path.Combine(Root, "node_modules", "hardhat", "dist", "src", "cli.js");

    /// <summary>The node's own Hardhat config: the project's network without the compiler and test plugins (faster starts).</summary>
    public static string NodeConfig => Path.Combine(Root, "tests", "hardhat-node.config.mjs");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Loyalty.Chain.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Loyalty.Chain.sln not found above " + AppContext.BaseDirectory);
    }
}

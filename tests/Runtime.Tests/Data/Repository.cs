using System.Reflection;

namespace StrategyLab.Runtime.Tests.Data;

/// <summary>Paths inside the checkout this test assembly was built from (recorded at build time as assembly metadata).</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string DataFolder => Path.Combine(Root, "data");

    private static string FindRoot()
    {
        var root = typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        if (root is null || !File.Exists(Path.Combine(root, "StrategyLab.sln")))
            throw new DirectoryNotFoundException($"the checkout recorded at build time ({root ?? "none"}) has no StrategyLab.sln");
        return Path.GetFullPath(root);
    }
}

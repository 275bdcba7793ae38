using System.Diagnostics;

namespace Tally.Cli.Tests;

/// <summary>The tool as a user gets it: dotnet pack makes the package, dotnet tool install --add-source installs it, and the installed tally runs.</summary>
public sealed class PackTests
{
    [Fact]
    public async Task PackThenToolInstall_InstallsATallyCommandThatRuns()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"tally-pack-{Guid.NewGuid():N}");
        var (pkg, tools) = (Path.Combine(dir, "pkg"), Path.Combine(dir, "tools"));
        try
        {
            var project = Path.Combine(RepoRoot(), "src", "Tally.Cli");
            var pack = await RunAsync("dotnet", "pack", project, "-c", "Release", "-o", pkg, "--nologo");
            Assert.True(pack.Code == 0, pack.Output);
            Assert.Single(Directory.GetFiles(pkg, "Tally.Cli.*.nupkg"));

            var install = await RunAsync("dotnet", "tool", "install", "--tool-path", tools, "--add-source", pkg, "Tally.Cli");
            Assert.True(install.Code == 0, install.Output);

            var help = await RunAsync(Path.Combine(tools, OperatingSystem.IsWindows() ? "tally.exe" : "tally"), "--help");
            Assert.True(help.Code == 0, help.Output);
            foreach (var command in new[] { "push", "pull", "usage", "audit", "export" })
            {
                Assert.Contains(command, help.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp directory left behind is harmless.
            }
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, $"{file} {string.Join(' ', args)} → exit {p.ExitCode}\n{await output}\n{await error}");
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tally.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Tally.slnx not found above the test directory");
    }
}

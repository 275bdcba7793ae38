using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Tally.Server.Hosting;
using YamlDotNet.RepresentationModel;

namespace Tally.Server.Tests.Operations;

/// <summary>
/// No container engine runs here, so the Dockerfile and compose.yaml are parsed and held to the server's own
/// settings: the entry point is the server's assembly, the port it listens on is the one exposed and published,
/// and the database sits on the declared volume.
/// </summary>
public sealed partial class ContainerFilesTests
{
    private static readonly string Root = OpenApiTests.RepoRoot();

    /// <summary>Instructions of the last stage (the image that runs), continuation lines joined.</summary>
    private static (int Stages, List<(string Op, string Args)> Final) Dockerfile()
    {
        var text = File.ReadAllText(Path.Combine(Root, "Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        var instructions = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => (Op: l.Split(' ', 2)[0].ToUpperInvariant(), Args: l.Split(' ', 2).ElementAtOrDefault(1)?.Trim() ?? "")).ToList();
        var stages = instructions.Count(i => i.Op == "FROM");
        var last = instructions.FindLastIndex(i => i.Op == "FROM");
        return (stages, instructions[last..]);
    }

    private static Dictionary<string, string> Env(IEnumerable<(string Op, string Args)> stage) =>
        stage.Where(i => i.Op == "ENV").SelectMany(i => EnvPair().Matches(i.Args))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

    private static TallyOptions OptionsFrom(IReadOnlyDictionary<string, string> env) =>
        TallyOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(env.Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value))).Build());

    [Fact]
    public void Dockerfile_MultiStage_NonRoot_EntryPointPortAndVolumeMatchTheServer()
    {
        var (stages, final) = Dockerfile();
        var env = Env(final);
        var entry = JsonSerializer.Deserialize<string[]>(final.Single(i => i.Op == "ENTRYPOINT").Args)!;
        var user = final.Last(i => i.Op == "USER").Args;
        var exposed = int.Parse(final.Single(i => i.Op == "EXPOSE").Args, System.Globalization.CultureInfo.InvariantCulture);
        var volumes = JsonSerializer.Deserialize<string[]>(final.Single(i => i.Op == "VOLUME").Args)!;
        var options = OptionsFrom(env);
        var assembly = Regex.Match(File.ReadAllText(Path.Combine(Root, "src/Tally.Server/Tally.Server.csproj")), "<AssemblyName>(.+)</AssemblyName>").Groups[1].Value;

        Assert.True(stages >= 2, "the image is built in one stage and run from another");
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
        Assert.Equal(["dotnet", assembly + ".dll"], entry);
        Assert.Equal(exposed, new Uri(env["ASPNETCORE_URLS"].Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port);
        Assert.False(options.IsPostgres);
        Assert.Contains(volumes, v => options.Database.StartsWith(v.TrimEnd('/') + "/", StringComparison.Ordinal));
        foreach (var copy in AllCopies().Where(i => !i.Args.StartsWith("--from", StringComparison.Ordinal)))
        {
            foreach (var source in copy.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            {
                Assert.True(File.Exists(Path.Combine(Root, source)) || Directory.Exists(Path.Combine(Root, source)), $"COPY source {source} is not in the repository");
            }
        }
    }

    private static IEnumerable<(string Op, string Args)> AllCopies()
    {
        var text = File.ReadAllText(Path.Combine(Root, "Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        return text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("COPY ", StringComparison.Ordinal)).Select(l => ("COPY", l[5..].Trim()));
    }

    [Fact]
    public void Compose_RunsTheImageOnPostgres_WithThePortAndVolumeOfTheDockerfile()
    {
        var yaml = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(Path.Combine(Root, "compose.yaml"))))
        {
            yaml.Load(reader);
        }
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        var tally = (YamlMappingNode)services["tally"];
        var env = ((YamlMappingNode)tally["environment"]).Children.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString(), StringComparer.Ordinal);
        var options = OptionsFrom(env);
        var (_, final) = Dockerfile();
        var exposed = final.Single(i => i.Op == "EXPOSE").Args;
        var volume = JsonSerializer.Deserialize<string[]>(final.Single(i => i.Op == "VOLUME").Args)!.Single();
        var ports = ((YamlSequenceNode)tally["ports"]).Select(p => p.ToString()).ToList();
        var mounts = ((YamlSequenceNode)tally["volumes"]).Select(p => p.ToString()).ToList();
        var host = new Npgsql.NpgsqlConnectionStringBuilder(StoreFactory.ToConnectionString(options.Database)).Host;

        Assert.Equal(".", tally["build"].ToString());
        Assert.True(options.IsPostgres);
        Assert.True(services.Children.ContainsKey(new YamlScalarNode(host)), $"TALLY_DATABASE points at {host}, which is not a service");
        Assert.NotEmpty(options.SecretKeys);
        Assert.Contains(ports, p => p.EndsWith(":" + exposed, StringComparison.Ordinal));
        Assert.Equal(int.Parse(exposed, System.Globalization.CultureInfo.InvariantCulture), new Uri(env["ASPNETCORE_URLS"].Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port);
        Assert.Contains(mounts, m => m.EndsWith(":" + volume, StringComparison.Ordinal));
    }

    [GeneratedRegex("""([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)""")]
    private static partial Regex EnvPair();
}

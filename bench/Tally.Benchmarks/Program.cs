using BenchmarkDotNet.Running;

// Examples: dotnet run -c Release --project bench/Tally.Benchmarks -- --filter '*' --job short
//           dotnet run -c Release --project bench/Tally.Benchmarks -- --list flat
//           dotnet run -c Release --project bench/Tally.Benchmarks -- --interleaved 21
//           dotnet run -c Release --project bench/Tally.Benchmarks -- --metrics 21
if (args.Length > 0 && args[0] == "--interleaved")
{
    Tally.Benchmarks.Interleaved.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 21);
    return;
}
if (args.Length > 0 && args[0] == "--metrics")
{
    Tally.Benchmarks.MetricsOverhead.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 21);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Tally.Benchmarks.EngineBenchmarks).Assembly).Run(args);

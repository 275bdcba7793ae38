using BenchmarkDotNet.Running;

// Examples: dotnet run -c Release --project bench/Tally.Benchmarks -- --filter '*' --job short
//           dotnet run -c Release --project bench/Tally.Benchmarks -- --list flat
BenchmarkSwitcher.FromAssembly(typeof(Tally.Benchmarks.EngineBenchmarks).Assembly).Run(args);

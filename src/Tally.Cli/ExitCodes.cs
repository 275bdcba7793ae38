namespace Tally.Cli;

/// <summary>The process exit codes the issue fixes: scripts branch on them.</summary>
public static class ExitCodes
{
    /// <summary>Success (including "no changes" and a declined confirmation).</summary>
    public const int Ok = 0;

    /// <summary>The server refused a call (its code is printed) or could not be reached.</summary>
    public const int ApiError = 1;

    /// <summary>Bad command line, unreadable or invalid file, missing key, or a confirmation that could not be asked.</summary>
    public const int Usage = 2;
}

/// <summary>A usage error found after parsing (a bad file, a missing key): printed as is, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

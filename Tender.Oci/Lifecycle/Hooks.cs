using System.Diagnostics;
using Tender.Oci.Spec;

namespace Tender.Oci.Lifecycle;

/// <summary>
/// Runs the bundle's hooks (config.md "POSIX-platform Hooks"): each with its path, args and env,
/// the container's state as JSON on stdin, and its timeout. Where they run is the caller's part:
/// createRuntime, createContainer and prestart in `create` once the process exists;
/// startContainer in the container's process before the guest boots; poststart in `start`;
/// poststop in `delete`. Hooks are the bundle author's own programs — unlike annotations they run
/// as the spec says, just as under runc.
/// </summary>
public static class Hooks
{
    /// <summary>A hook with no timeout still may not hang the runtime for ever.</summary>
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs each hook in order; the first failure throws (create, startContainer: the spec makes those fatal).</summary>
    public static void Run(string stage, IReadOnlyList<HookConfig>? hooks, ContainerState state)
    {
        foreach (var hook in hooks ?? []) RunOne(stage, hook, state);
    }

    /// <summary>Runs each hook; failures become warnings (poststart, poststop: the spec says the lifecycle goes on).</summary>
    public static void RunWarning(string stage, IReadOnlyList<HookConfig>? hooks, ContainerState state, Action<string> warn)
    {
        foreach (var hook in hooks ?? [])
        {
            try
            {
                RunOne(stage, hook, state);
            }
            catch (OciException e)
            {
                warn(e.Message);
            }
        }
    }

    private static void RunOne(string stage, HookConfig hook, ContainerState state)
    {
        if (!Path.IsPathFullyQualified(hook.Path)) throw new OciException($"{stage} hook \"{hook.Path}\": the path must be absolute");
        // args[0] is the hook's argv[0] in the spec; ProcessStartInfo sets argv[0] to the path.
        var info = new ProcessStartInfo(hook.Path);
        foreach (var argument in (hook.Args ?? []).Skip(1)) info.ArgumentList.Add(argument);
        if (hook.Env is not null)
        {
            info.Environment.Clear();
            foreach (var entry in hook.Env)
            {
                int equals = entry.IndexOf('=');
                if (equals > 0) info.Environment[entry[..equals]] = entry[(equals + 1)..];
            }
        }
        var timeout = hook.Timeout is int seconds and > 0 ? TimeSpan.FromSeconds(seconds) : DefaultTimeout;
        var result = ChildProcess.Run(info, OciJson.Write(state), timeout, $"{stage} hook {hook.Path}");
        if (result.ExitCode != 0)
            throw new OciException($"{stage} hook {hook.Path} failed with exit status {result.ExitCode}: {result.Stderr.Trim()}{result.Stdout.Trim()}");
    }
}

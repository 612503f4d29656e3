using Caseline.Client;
using Caseline.Client.Consumer;
using Caseline.Client.Mirror;

namespace Caseline.Samples.CmsWorker;

/// <summary>The worker's wiring: the SDK client, the profile mirror, and the consumer that feeds both to the CMS.</summary>
public static partial class CmsWorker
{
    /// <summary>Registers everything the worker runs, its data in <see cref="CmsSettings.DataDirectory"/> (created if missing).</summary>
    public static IServiceCollection AddCmsWorker(this IServiceCollection services, CmsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var data = Path.GetFullPath(settings.DataDirectory);
        Directory.CreateDirectory(data);

        services.AddCaselineClient(options =>
        {
            options.BaseAddress = settings.CaselineUrl;
            options.Credentials = CaselineCredentials.Password(settings.ClientId, settings.ClientSecret, settings.Username, settings.Password);
        });
        services.AddSingleton(_ => ProfileMirror.Open(Path.Combine(data, "mirror.db")));
        services.AddTransmitConsumer<ProfileChangeHandler>(consumer =>
        {
            consumer.Name = "cms-worker";
            // The checkpoint lives in the CMS's own database, written in the same transaction as the CMS's changes.
            consumer.Checkpoints = new SqliteCheckpointStore($"Data Source={Path.Combine(data, "cms.db")}");
            // Every message reaches the handler, this worker's own writes too: the mirror must hold all of them.
            // The handler alone skips handing an own echo back to the CMS.
            consumer.SkipOwnEcho = false;
        });
        return services;
    }

    /// <summary>Says where the worker keeps its data, as a full path: a relative folder depends on where it was started.</summary>
    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Mirror and checkpoint in {DataDirectory}")]
    internal static partial void LogDataDirectory(ILogger logger, string dataDirectory);
}

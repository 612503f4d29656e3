using Caseline.Client.Consumer;
using Caseline.Client.Mirror;
using Caseline.Messages;

namespace Caseline.Samples.CmsWorker;

/// <summary>
/// Applies one change: the mirror gets every message, then the CMS would act on the section that changed, unless the
/// change is this worker's own write coming back. Here it logs what changed (section and verb: never the values,
/// which are personal data).
/// </summary>
public sealed partial class ProfileChangeHandler(ProfileMirror mirror, ILogger<ProfileChangeHandler> logger) : ITransmitHandler
{
    /// <inheritdoc />
    public Task HandleAsync(TransmitContext context, CancellationToken cancellationToken)
    {
        // The mirror is a copy of what Caseline holds, so it takes the worker's own writes too.
        mirror.Apply([context.Item]);
        var message = context.Message;
        if (context.Item.OwnEcho)
        {
            // The worker wrote this change to Caseline from the CMS: handing it back would echo it into the CMS again.
            LogOwnEcho(context.Item.Position, message.Client.IntegrationId);
            return Task.CompletedTask;
        }

        if (message.Details is PersonalDetails or AccountDetails && message.Verb != ChangeVerb.Removed)
        {
            // A real CMS updates its client record here, in context.Transaction, so it commits with the checkpoint.
            var profile = mirror.GetProfile(message.Client.IntegrationId);
            LogClient(message.Client.IntegrationId, profile?.Status ?? "unknown");
        }

        LogChange(context.Item.Position, message.Client.IntegrationId, message.Action.Reason);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Position {Position}: client {ClientId}, {Reason}")]
    private partial void LogChange(long position, string clientId, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Client {ClientId} is now {Status} in the CMS")]
    private partial void LogClient(string clientId, string status);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Position {Position}: client {ClientId}, the worker's own change, mirrored only")]
    private partial void LogOwnEcho(long position, string clientId);
}

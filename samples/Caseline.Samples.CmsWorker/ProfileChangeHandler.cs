using Caseline.Client.Consumer;
using Caseline.Client.Mirror;
using Caseline.Messages;

namespace Caseline.Samples.CmsWorker;

/// <summary>
/// Applies one change: the mirror gets the message, then the CMS would act on the section that changed.
/// Here it logs what changed (section and verb: never the values, which are personal data).
/// </summary>
public sealed partial class ProfileChangeHandler(ProfileMirror mirror, ILogger<ProfileChangeHandler> logger) : ITransmitHandler
{
    /// <inheritdoc />
    public Task HandleAsync(TransmitContext context, CancellationToken cancellationToken)
    {
        mirror.Apply([context.Item]);
        var message = context.Message;
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
}

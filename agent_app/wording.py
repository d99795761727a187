"""What the assistant writes itself, in the customer's language (English, German, French, Spanish).

The brand voice asks us to reply in the language the customer wrote in when possible. Everything the
assistant writes in its own words (acknowledgements, who follows up and by when, the greeting and the
close, a channel's greeting line and sign-off) is here in all four; an answer's steps and sentences are
the Help Centre's, which is English, so a reply in another language says so before quoting it. Formal
address (Sie, vous, usted): a stranger writing to support is addressed formally until they say otherwise.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime

from agent_app.language import ENGLISH, FRENCH, GERMAN, SPANISH
from crm.models import EscalationReason as R

_TEXTS: dict[str, dict[str, str]] = {
    ENGLISH: {
        R.PRICING_INQUIRY: "Our sales and billing team handles pricing, so I've passed your question to them.",
        R.REFUND_REQUEST: "I've passed your request to our billing team, who will review it.",
        R.LEGAL_LANGUAGE: "I've passed your message to the right team at Loomline.",
        R.SECURITY_INCIDENT: "Thanks for telling us straight away. Our security team is handling this as a priority.",
        R.NEGATIVE_SENTIMENT: "I'm sorry this has been so frustrating. I've passed your message to a colleague.",
        R.EXPLICIT_HUMAN_REQUEST: "Of course. I've asked a person from our support team to take over.",
        R.KNOWLEDGE_NOT_FOUND: ("I couldn't find a reliable answer to this in our Help Centre, so I've passed your "
                                "question to a colleague who can answer it."),
        "still_failing": ("I'm sorry the steps didn't solve it. I've passed your message, with what you've already "
                          "tried, to a colleague."),
        "not_helpful": "Sorry that didn't answer your question. I've passed it to a colleague, with what we've tried so far.",
        "needs_staff": "This needs someone from our team to look into it, so I've passed it to a colleague.",
        "follow_up": "A person from our support team will follow up here {when}.",
        "injection_only": ("I can help with questions about Loomline. A person from our support team will also look "
                           "at your message and follow up {when}."),
        "security_steps": ("While you wait: sign out of all other sessions under Settings → Security → Sessions, "
                           "change your password, turn on two-factor authentication, and revoke any API token "
                           "that may be exposed."),
        "greeting_reply": "Hi! I'm Loomline's AI assistant. How can I help you today?",
        "thanks_reply": "Glad that sorted it. If anything else comes up, just reply here.",
        "sorry": "I'm sorry for the trouble.",
        "in_english": "",
        "help_centre_link": "More in our Help Centre: \u201c{title}\u201d, {url}",
        "whatsapp_link": "More: {url}",
        "hello": "Hello,",
        "hi": "Hi {first},",
        "reference": "Your reference: {reference}",
        "regards": "Best regards,",
        "by": "by {weekday} {day} {month}, {time} {zone}",
        "one_business_day": "within one business day",
    },
    GERMAN: {
        R.PRICING_INQUIRY: ("Preisfragen beantwortet unser Vertriebs- und Abrechnungsteam; ich habe Ihre Frage "
                            "dorthin weitergeleitet."),
        R.REFUND_REQUEST: "Ich habe Ihre Anfrage an unser Abrechnungsteam weitergeleitet, das sie prüfen wird.",
        R.LEGAL_LANGUAGE: "Ich habe Ihre Nachricht an das zuständige Team bei Loomline weitergeleitet.",
        R.SECURITY_INCIDENT: ("Danke, dass Sie uns sofort Bescheid gegeben haben. Unser Sicherheitsteam kümmert "
                              "sich vorrangig darum."),
        R.NEGATIVE_SENTIMENT: ("Es tut mir leid, dass das so ärgerlich war. Ich habe Ihre Nachricht an jemanden "
                               "aus unserem Team weitergeleitet."),
        R.EXPLICIT_HUMAN_REQUEST: ("Natürlich. Ich habe eine Person aus unserem Support-Team gebeten, Ihr Anliegen zu "
                                   "übernehmen."),
        R.KNOWLEDGE_NOT_FOUND: ("Dazu habe ich in unserem Hilfe-Center keine verlässliche Antwort gefunden, deshalb "
                                "habe ich Ihre Frage an jemanden aus unserem Team weitergegeben, der sie beantworten kann."),
        "still_failing": ("Es tut mir leid, dass die Schritte das Problem nicht gelöst haben. Ich habe Ihre Nachricht mit dem, "
                          "was Sie schon versucht haben, an jemanden aus unserem Team weitergegeben."),
        "not_helpful": ("Entschuldigung, das hat Ihre Frage nicht beantwortet. Ich habe sie mit dem bisherigen "
                        "Verlauf an jemanden aus unserem Team weitergegeben."),
        "needs_staff": "Das muss sich jemand aus unserem Team ansehen, deshalb habe ich es weitergeleitet.",
        "follow_up": "Eine Person aus unserem Support-Team meldet sich hier {when}.",
        "injection_only": ("Ich helfe gern bei Fragen zu Loomline. Eine Person aus unserem Support-Team sieht sich "
                           "Ihre Nachricht ebenfalls an und meldet sich {when}."),
        "security_steps": ("Bis dahin: Melden Sie unter Settings → Security → Sessions alle anderen Sitzungen ab, "
                           "ändern Sie Ihr Passwort, schalten Sie die Zwei-Faktor-Authentifizierung ein und "
                           "widerrufen Sie jedes API-Token, das offengelegt sein könnte."),
        "greeting_reply": "Hallo! Ich bin der KI-Assistent von Loomline. Wie kann ich Ihnen heute helfen?",
        "thanks_reply": "Schön, dass es jetzt klappt. Wenn noch etwas ist, antworten Sie einfach hier.",
        "sorry": "Entschuldigen Sie die Umstände.",
        "in_english": "Die Antwort steht in unserem Hilfe-Center, das es nur auf Englisch gibt:",
        "help_centre_link": "Mehr dazu in unserem Hilfe-Center: \u201e{title}\u201c, {url}",
        "whatsapp_link": "Mehr: {url}",
        "hello": "Hallo,",
        "hi": "Hallo {first},",
        "reference": "Ihre Referenz: {reference}",
        "regards": "Viele Grüße",
        "by": "bis {weekday}, {day}. {month}, {time} {zone}",
        "one_business_day": "innerhalb eines Werktags",
    },
    FRENCH: {
        R.PRICING_INQUIRY: ("Les questions de tarifs sont traitées par notre équipe commerciale et de facturation\u00a0; "
                            "je leur ai transmis votre question."),
        R.REFUND_REQUEST: "J'ai transmis votre demande à notre équipe de facturation, qui va l'examiner.",
        R.LEGAL_LANGUAGE: "J'ai transmis votre message à l'équipe compétente chez Loomline.",
        R.SECURITY_INCIDENT: ("Merci de nous avoir prévenus aussitôt. Notre équipe sécurité traite votre message "
                              "en priorité."),
        R.NEGATIVE_SENTIMENT: "Je suis désolé que cela ait été aussi pénible. J'ai transmis votre message à un collègue.",
        R.EXPLICIT_HUMAN_REQUEST: ("Bien sûr. J'ai demandé à une personne de notre équipe support de prendre "
                                   "le relais."),
        R.KNOWLEDGE_NOT_FOUND: ("Je n'ai pas trouvé de réponse fiable dans notre centre d'aide, j'ai donc transmis "
                                "votre question à un collègue qui pourra y répondre."),
        "still_failing": ("Désolé que les étapes n'aient pas résolu le problème. J'ai transmis votre message, avec "
                          "ce que vous avez déjà essayé, à un collègue."),
        "not_helpful": ("Désolé, cela ne répondait pas à votre question. Je l'ai transmise à un collègue, avec ce "
                        "que nous avons déjà essayé."),
        "needs_staff": "Quelqu'un de notre équipe doit s'en occuper\u00a0; j'ai donc transmis votre demande à un collègue.",
        "follow_up": "Une personne de notre équipe support vous répondra {when}.",
        "injection_only": ("Je peux vous aider pour toute question sur Loomline. Une personne de notre équipe "
                           "support va aussi lire votre message et vous répondre {when}."),
        "security_steps": ("En attendant : déconnectez toutes les autres sessions dans Settings → Security → "
                           "Sessions, changez votre mot de passe, activez l'authentification à deux facteurs et "
                           "révoquez tout jeton d'API qui pourrait être exposé."),
        "greeting_reply": "Bonjour ! Je suis l'assistant IA de Loomline. Comment puis-je vous aider aujourd'hui ?",
        "thanks_reply": "Ravi que ce soit réglé. Si vous avez d'autres questions, répondez simplement à ce message.",
        "sorry": "Désolé pour ce désagrément.",
        "in_english": "La réponse se trouve dans notre centre d'aide, disponible en anglais uniquement :",
        "help_centre_link": "Plus de détails dans notre centre d'aide : \u00ab {title} \u00bb, {url}",
        "whatsapp_link": "En savoir plus\u00a0: {url}",
        "hello": "Bonjour,",
        "hi": "Bonjour {first},",
        "reference": "Votre référence : {reference}",
        "regards": "Cordialement,",
        "by": "d'ici le {weekday} {day} {month} à {time} {zone}",
        "one_business_day": "sous un jour ouvré",
    },
    SPANISH: {
        R.PRICING_INQUIRY: ("Nuestro equipo de ventas y facturación se ocupa de los precios, así que les he pasado "
                            "su pregunta."),
        R.REFUND_REQUEST: "He pasado su solicitud a nuestro equipo de facturación, que la revisará.",
        R.LEGAL_LANGUAGE: "He pasado su mensaje al equipo adecuado de Loomline.",
        R.SECURITY_INCIDENT: "Gracias por avisarnos enseguida. Nuestro equipo de seguridad lo está tratando con prioridad.",
        R.NEGATIVE_SENTIMENT: "Siento mucho que esto haya sido tan frustrante. He pasado su mensaje a un compañero.",
        R.EXPLICIT_HUMAN_REQUEST: ("Por supuesto. He pedido a una persona de nuestro equipo de soporte que se "
                                   "encargue."),
        R.KNOWLEDGE_NOT_FOUND: ("No he encontrado una respuesta fiable en nuestro Centro de ayuda, así que he pasado "
                                "su pregunta a un compañero que podrá responderle."),
        "still_failing": ("Siento que los pasos no lo hayan resuelto. He pasado su mensaje, con lo que ya ha "
                          "probado, a un compañero."),
        "not_helpful": ("Perdone, eso no respondía a su pregunta. Se la he pasado a un compañero, con lo que hemos "
                        "probado hasta ahora."),
        "needs_staff": "Esto tiene que revisarlo alguien de nuestro equipo, así que se lo he pasado a un compañero.",
        "follow_up": "Una persona de nuestro equipo de soporte le responderá aquí {when}.",
        "injection_only": ("Puedo ayudarle con preguntas sobre Loomline. Una persona de nuestro equipo de soporte "
                           "también revisará su mensaje y le responderá {when}."),
        "security_steps": ("Mientras tanto: cierre todas las demás sesiones en Settings → Security → Sessions, "
                           "cambie su contraseña, active la autenticación en dos pasos y revoque cualquier token de "
                           "API que pueda estar expuesto."),
        "greeting_reply": "¡Hola! Soy el asistente de IA de Loomline. ¿En qué puedo ayudarle hoy?",
        "thanks_reply": "Me alegra que se haya resuelto. Si surge cualquier otra cosa, responda aquí mismo.",
        "sorry": "Siento las molestias.",
        "in_english": "La respuesta está en nuestro Centro de ayuda, que solo está en inglés:",
        "help_centre_link": "Más información en nuestro Centro de ayuda: \u00ab{title}\u00bb, {url}",
        "whatsapp_link": "Más: {url}",
        "hello": "Hola:",
        "hi": "Hola, {first}:",
        "reference": "Su referencia: {reference}",
        "regards": "Un saludo,",
        "by": "antes del {weekday} {day} de {month}, {time} {zone}",
        "one_business_day": "en el plazo de un día hábil",
    },
}

_WEEKDAYS = {
    ENGLISH: "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    GERMAN: "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
    FRENCH: "lundi mardi mercredi jeudi vendredi samedi dimanche",
    SPANISH: "lunes martes miércoles jueves viernes sábado domingo",
}
_MONTHS = {
    ENGLISH: "January February March April May June July August September October November December",
    GERMAN: "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    FRENCH: "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    SPANISH: "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
}


def knows(key: str) -> bool:
    return key in _TEXTS[ENGLISH]


def text(key: str, language: str = ENGLISH, **values: str) -> str:
    """The assistant's wording for ``key`` in ``language`` (English for a language we don't write)."""
    table = _TEXTS.get(language, _TEXTS[ENGLISH])
    template = table.get(key, _TEXTS[ENGLISH][key])
    return template.format(**values) if values else template


def deadline(moment: datetime, zone_name: str, language: str = ENGLISH) -> str:
    """"by Friday 4 December, 16:00 CET", in ``language``."""
    language = language if language in _TEXTS else ENGLISH
    return text("by", language, weekday=_WEEKDAYS[language].split()[moment.weekday()], day=str(moment.day),
                month=_MONTHS[language].split()[moment.month - 1], time=moment.strftime("%H:%M"), zone=zone_name)


@functools.cache
def own_fragments() -> tuple[str, ...]:
    """The literal parts of everything above in every language, longest first: the grounding check
    leaves out what the assistant says in its own words, which no Help Centre passage holds."""
    parts = {part.strip(" ,:") for table in _TEXTS.values() for template in table.values()
             for part in re.split(r"\{\w+\}", template)}
    return tuple(sorted((p for p in parts if len(p) >= 8), key=len, reverse=True))

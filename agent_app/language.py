"""Which language a customer wrote in: English, German, French or Spanish.

The company profile promises an assistant that understands German, French and Spanish and replies in
the customer's language when it can. The Help Centre, the models' training and governance's patterns
are English, so the language only chooses the words of what we write back (``agent_app/wording.py``);
judging a message is the intent layer's job in every language.

Counting function words is enough for four languages this far apart, is deterministic and costs
microseconds; a message is English unless another language clearly leads, since a stray "la" or
"de" in an English message (a name, a company) must not switch the reply's language.
"""
from __future__ import annotations

import re
import unicodedata

from agent_app.plain_text import message_core

ENGLISH, GERMAN, FRENCH, SPANISH = "en", "de", "fr", "es"
LANGUAGES = (ENGLISH, GERMAN, FRENCH, SPANISH)

# Short, frequent words of each language that the others rarely use; words two of them share
# ("la", "de", "que", "en", "si") are left out, and written without accents, since customers on
# phones often leave them out.
_WORDS = {
    ENGLISH: """the and is are to of my our we you your it this that for with have has not can how what
        why where when do does did please thanks thank hi hello there from will would could should
        just get got been any all into about which""",
    GERMAN: """der die das und ist sind nicht ich wir mein meine meinen unser unsere unseren wie kann
        koennen konnen kannst mit fuer fur auf ein eine einen einem bitte danke hallo gibt sie
        haben habe hab warum wo wird werden schon noch auch aber oder wenn dass bei von zu den dem
        nur kein keine geht gehts nichts mehr mir mich uns ihr ihre ihnen hier jetzt immer sich
        sehr wurde wurden soll muss gruesse grusse gruss freundlichen vielen dank geehrte damen herren
        guten leider trotzdem funktioniert moechte mochte brauche etwas heute gerne ganz viel
        hatte dann denn weil sondern""",
    FRENCH: """le les et est pas je nous mon ma mes notre peux peut pouvez avec pour sur une
        des du au aux merci bonjour svp stp il elle vous qui quoi ou ce cette ne dans mais tres
        sont avons avez j qu fait faire cordialement salut bonsoir aussi comme encore toujours rien
        quand pourquoi veux voudrais besoin depuis alors donc chez leur leurs sans deja moi toi suis crois
        beaucoup oui tous votre cela ici etre avoir fois apres peu""",
    SPANISH: """el los las y es mi mis nuestro nuestra nuestros como puedo puede puedes con para por una
        unos unas del al gracias hola lo pero muy esta estoy tengo tenemos hay cuando donde
        porque quiero necesito saludos buenos buenas dias tardes favor ya tambien todo nada desde
        hacer hace ayuda cuenta ahora sin mas eso esto usted ustedes cual creo sigue hice quisiera podria
        tiene muchas muchos mucho pues aqui estan somos otra otro nuestras""",
}
# A support message of one or two words often has no function word ("humano", "MITARBEITER"): the
# everyday words of a support request, which are not English words, count as well.
_SUPPORT_WORDS = {
    ENGLISH: "",
    GERMAN: """mensch menschen mitarbeiter passwort rechnung konto erstattung preis hilfe gibts nen habs keinen
        kostet wieder dankeschoen dankeschon klappt geklappt moin servus gruezi gruess gott projekt projekte
        aufgabe aufgaben exportieren importieren einstellungen zurucksetzen anmelden loschen hinzufugen datei
        dateien anhang benutzer mitglied mitglieder gast einladung abo zahlung""",
    FRENCH: """humain personne aide mot passe facture compte remboursement prix bjr coucou allo operateur
        fonctionne marche projet projets tache taches exporter importer espace equipe parametres reinitialiser
        connexion abonnement supprimer ajouter fichier fichiers piece jointe navigateur utilisateur utilisateurs
        membre membres courriel lien connecter connecte""",
    SPANISH: """humano persona ayuda contrasena factura cobro cobraron reembolso precio porfa listo mismo misma
        operador funciona proyecto proyectos tarea tareas exportar importar equipo configuracion restablecer
        cambiar eliminar borrar anadir archivo archivos adjunto navegador usuario usuarios miembro miembros
        invitado correo enlace tablero suscripcion pago""",
}
_WORD_SETS = {lang: frozenset(_WORDS[lang].split() + _SUPPORT_WORDS[lang].split()) for lang in _WORDS}
# Letters only one of the three other languages writes (é is shared: left out).
_LETTERS = {GERMAN: set("äöüß"), FRENCH: set("àçèêëîïôûùœâ"), SPANISH: set("ñ¿¡áíóú")}
_TOKEN = re.compile(r"[^\W\d_]+")


def without_accents(word: str) -> str:
    """"contraseña" as "contrasena": customers on phones often leave accents out."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def scores(text: str) -> dict[str, float]:
    """Evidence per language: function words, and letters only that language writes."""
    text = unicodedata.normalize("NFC", text or "")  # accents typed as combining marks (pasted from a Mac)
    words = [without_accents(w) for w in _TOKEN.findall(text.lower())]
    out = {lang: float(sum(1 for w in words if w in _WORD_SETS[lang])) for lang in LANGUAGES}
    lowered = text.lower()
    for lang, letters in _LETTERS.items():
        out[lang] += min(3.0, 0.5 * sum(1 for c in lowered if c in letters))
    return out


def detect(text: str) -> str:
    """The language of ``text``: German, French or Spanish when it clearly leads, else English.

    One word of evidence decides only a line of up to four words ("Danke!", "top danke dir"); in a
    longer one it is as likely a name or a letter ("Los Angeles office locked out", "Y axis labels missing").
    On our training lines: four words keep 712 of the 743 German, French and Spanish lines (one word
    everywhere, 728; two, 702) and call 85 of the 8,107 others foreign, nearly all truly so. At 12-05e, of the
    message cores (``of_message``): 718 of those 743 and 84 of the 9,627 other lines before the words
    added then ("beaucoup", "votre", "muchas", "etwas"...: none an English word the spelling list counts
    as common, none written by another of the three even without accents), 719 and 85 after (a German
    line read right, a French line that goes on in English called French). Left out: "ca" and "tout",
    common English ("CA certificate"); "alles" and "vos", also French ("allés") and Spanish."""
    evidence = scores(text)
    best = max((GERMAN, FRENCH, SPANISH), key=lambda lang: evidence[lang])
    lead = evidence[best]
    runner_up = max(v for lang, v in evidence.items() if lang != best)
    enough = 1 if len(_TOKEN.findall(text or "")) <= 4 else 2
    if lead >= enough and lead > evidence[ENGLISH] and lead >= 1.5 * runner_up:
        return best
    return ENGLISH


def of_message(text: str) -> str:
    """The language of a customer's message, judged on its core: without its greeting line, sign-off
    and signature, a German sign-off or a Spanish name under an English message is not what it says."""
    return detect(message_core(text or ""))

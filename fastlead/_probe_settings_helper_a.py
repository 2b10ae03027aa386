from fastlead.settings import *  # noqa

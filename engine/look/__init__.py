"""The first look (docs/architecture.md, "The first look"): a feed-forward
painting in well under a second - Magenta's arbitrary image stylization
(Ghiasi et al. 2017) on onnxruntime - shown while the Gatys painting waits for
its turn, returned as the artwork itself at ``quality=instant``, or used as the
optimisation's starting picture (``init=look``).

``network`` runs the two networks (a style image → a 100-number style vector; a
photo and a vector → a picture); ``painting`` turns a photo, its styles and a
job's parameters into a look (blends as mixed vectors, strength, colour modes,
the job's output size); ``vectors`` keeps each catalogue painting's vector, computed
once.  No Keras: the bot runs it in its own process.
"""
